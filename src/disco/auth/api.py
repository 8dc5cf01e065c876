"""Thin endpoints: resolve dependencies, open the unit of work, call one service method."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from disco.auth.oidc import (
    BINDING_HEADER,
    BINDING_PATTERN,
    STATE_TTL_SECONDS,
    OidcLogin,
    binding_cookie_name,
)
from disco.auth.repository import AuthRepository
from disco.auth.schemas import (
    Accepted,
    CodeRequest,
    DisableRequest,
    Jwks,
    LoginRequest,
    Me,
    MfaRequired,
    MfaVerifyRequest,
    RecoveryCodes,
    RefreshRequest,
    ResetPassword,
    ResetRequest,
    RoleChange,
    SignupRequest,
    TokenPair,
    TokenRequest,
    TwoFactorSetup,
)
from disco.auth.service import AuthService, MfaChallenge
from disco.platform.api import CurrentPrincipal
from disco.platform.db import Database
from disco.platform.errors import NotFound

router = APIRouter(prefix="/v1/auth", tags=["auth"])
# Other services and operators only: mounted under /internal behind the service-credential check.
internal = APIRouter(prefix="/auth", include_in_schema=False)


async def _service(request: Request) -> AuthService:
    return request.app.state.service


async def _db(request: Request) -> Database:
    return request.app.state.db


Service = Annotated[AuthService, Depends(_service)]
Db = Annotated[Database, Depends(_db)]


def client_ip(request: Request) -> str:
    # The gateway is the only door in; it forwards the caller's address here.
    forwarded = request.headers.get("x-disco-client-ip")
    if forwarded:
        return forwarded
    return request.client.host if request.client else "unknown"


@router.post("/signup", status_code=status.HTTP_201_CREATED)
async def signup(body: SignupRequest, auth: Service, db: Db) -> TokenPair:
    async with db.unit_of_work("auth.signup") as uow:
        issued = await auth.signup(uow, body.email, body.password, body.first_name, body.last_name)
    return TokenPair.of(issued)


@router.post("/login")
async def login(
    body: LoginRequest, request: Request, auth: Service, db: Db
) -> TokenPair | MfaRequired:
    """The token pair, or, with two-factor on, an ``mfaToken`` for ``/2fa/verify``."""
    async with db.unit_of_work("auth.login") as uow:
        outcome = await auth.login(
            uow, body.email, body.password, client_ip(request), body.device_token
        )
    if isinstance(outcome, MfaChallenge):
        return MfaRequired.of(outcome)
    return TokenPair.of(outcome)


@router.post("/2fa/verify")
async def verify_two_factor(body: MfaVerifyRequest, auth: Service, db: Db) -> TokenPair:
    async with db.unit_of_work("auth.verify_mfa") as uow:
        issued = await auth.verify_mfa(uow, body.mfa_token, body.code)
    return TokenPair.of(issued)


@router.post("/2fa/setup")
async def setup_two_factor(principal: CurrentPrincipal, auth: Service, db: Db) -> TwoFactorSetup:
    async with db.unit_of_work("auth.setup_2fa") as uow:
        return TwoFactorSetup.of(await auth.setup_two_factor(uow, principal.user_id))


@router.post("/2fa/enable")
async def enable_two_factor(
    body: CodeRequest, principal: CurrentPrincipal, auth: Service, db: Db
) -> RecoveryCodes:
    async with db.unit_of_work("auth.enable_2fa") as uow:
        codes = await auth.enable_two_factor(
            uow, principal.user_id, principal.session_id, body.code
        )
    return RecoveryCodes(recovery_codes=codes)


@router.post("/2fa/disable", status_code=status.HTTP_204_NO_CONTENT)
async def disable_two_factor(
    body: CodeRequest, principal: CurrentPrincipal, auth: Service, db: Db
) -> Response:
    async with db.unit_of_work("auth.disable_2fa") as uow:
        await auth.disable_two_factor(uow, principal.user_id, principal.session_id, body.code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/refresh")
async def refresh(body: RefreshRequest, auth: Service, db: Db) -> TokenPair:
    async with db.unit_of_work("auth.refresh") as uow:
        issued = await auth.refresh(uow, body.refresh_token)
    return TokenPair.of(issued)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentPrincipal, auth: Service, db: Db) -> Response:
    async with db.unit_of_work("auth.logout") as uow:
        await auth.logout(uow, principal.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me")
async def me(principal: CurrentPrincipal, auth: Service, db: Db) -> Me:
    async with db.unit_of_work("auth.me") as uow:
        return Me.of(await auth.me(uow, principal.user_id))


@router.post("/verify-email")
async def verify_email(body: TokenRequest, auth: Service, db: Db) -> Accepted:
    async with db.unit_of_work("auth.verify_email") as uow:
        await auth.recovery.verify_email(uow, body.token)
    return Accepted(status="verified")


@router.post("/verify-email/resend", status_code=status.HTTP_202_ACCEPTED)
async def resend_verification(principal: CurrentPrincipal, auth: Service, db: Db) -> Accepted:
    async with db.unit_of_work("auth.resend_verification") as uow:
        await auth.recovery.resend_verification(uow, principal.user_id)
    return Accepted()


@router.post("/password-reset/request", status_code=status.HTTP_202_ACCEPTED)
async def request_reset(body: ResetRequest, auth: Service, db: Db) -> Accepted:
    async with db.unit_of_work("auth.request_reset") as uow:
        await auth.recovery.request_password_reset(uow, body.email)
    return Accepted()


@router.post("/password-reset/reset")
async def reset_password(body: ResetPassword, request: Request, auth: Service, db: Db) -> Accepted:
    async with db.unit_of_work("auth.reset_password") as uow:
        await auth.recovery.reset_password(uow, body.token, body.password, client_ip(request))
    return Accepted(status="reset")


@router.get("/.well-known/jwks.json")
async def jwks(auth: Service, response: Response) -> Jwks:
    response.headers["Cache-Control"] = "public, max-age=300"
    return Jwks.model_validate(auth.keys.jwks)


@internal.post("/users/{user_id}/disable", status_code=status.HTTP_204_NO_CONTENT)
async def disable_user(user_id: str, body: DisableRequest, auth: Service, db: Db) -> Response:
    """For moderation (a ban) and account deletion: ends the user's sessions and tokens."""
    async with db.unit_of_work("auth.disable_user") as uow:
        await auth.disable_user(uow, user_id, body.reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@internal.post("/roles", status_code=status.HTTP_204_NO_CONTENT)
async def change_role(body: RoleChange, auth: Service, db: Db) -> Response:
    """For operators (``disco roles``): grant or take back a role such as moderator."""
    async with db.unit_of_work("auth.change_role") as uow:
        await auth.change_role(uow, body.email, body.role, body.granted)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@internal.get("/users/{user_id}/export")
async def export_user(user_id: str, db: Db) -> dict[str, Any]:
    """Auth's share of the user's data export (the users service assembles the whole)."""
    async with db.unit_of_work("auth.export_user") as uow:
        exported = await AuthRepository(uow).export_user(user_id)
    if exported is None:
        raise NotFound("No such user.")
    return exported


# --- sign-in with an OpenID provider ------------------------------------------------------------
async def _oidc(request: Request) -> OidcLogin:
    return request.app.state.oidc


Oidc = Annotated[OidcLogin, Depends(_oidc)]
ProviderName = Annotated[str, Path(max_length=60)]
# OAuth names these parameters itself (snake_case), unlike the rest of the API.
OAuthParam = Annotated[str | None, Query(max_length=2048)]


@router.get(
    "/oauth/{provider}/authorize",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
)
async def oauth_authorize(
    provider: ProviderName,
    oidc: Oidc,
    redirect_uri: Annotated[str | None, Query(alias="redirectUri", max_length=2048)] = None,
    binding: Annotated[str | None, Query(pattern=BINDING_PATTERN)] = None,
) -> RedirectResponse:
    """Sends the browser to the provider; it comes back to the callback (or ``redirectUri``).
    Only the browser (by a cookie set here) or the app (by its ``binding``, sent again as the
    ``X-Disco-OAuth-Binding`` header) that started a sign-in may finish it."""
    started = await oidc.authorization_url(provider, redirect_uri, binding)
    response = RedirectResponse(started.url, status_code=status.HTTP_302_FOUND)
    if started.cookie_value is not None:
        response.set_cookie(
            started.cookie_name,
            started.cookie_value,
            max_age=STATE_TTL_SECONDS,
            path="/v1/auth/oauth",
            secure=oidc.secure_cookies,
            httponly=True,
            samesite="lax",  # sent on the provider's redirect back, a top-level GET
        )
    return response


@router.get("/oauth/{provider}/callback")
async def oauth_callback(
    provider: ProviderName,
    oidc: Oidc,
    db: Db,
    request: Request,
    response: Response,
    code: OAuthParam = None,
    state: OAuthParam = None,
    error: OAuthParam = None,
    iss: OAuthParam = None,
    app_binding: Annotated[str | None, Header(alias=BINDING_HEADER, max_length=128)] = None,
) -> TokenPair | MfaRequired:
    """The provider's answer: the token pair, or, with two-factor on, an ``mfaToken`` for
    ``/2fa/verify``."""
    cookie = binding_cookie_name(state) if state else None
    binding = app_binding or (request.cookies.get(cookie) if cookie else None)
    if cookie is not None:
        response.delete_cookie(cookie, path="/v1/auth/oauth")
    async with db.unit_of_work("auth.oauth_callback") as uow:
        outcome = await oidc.complete(
            uow, provider, state=state, code=code, error=error, issuer=iss, binding=binding
        )
    if isinstance(outcome, MfaChallenge):
        return MfaRequired.of(outcome)
    return TokenPair.of(outcome)

"""Thin endpoints of sign-in with an OpenID provider: off to the provider, and back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from disco.auth.oidc.schemas import OAuthProviders
from disco.auth.oidc.service import (
    BINDING_HEADER,
    BINDING_PATTERN,
    STATE_TTL_SECONDS,
    OidcLogin,
    binding_cookie_name,
)
from disco.auth.sessions.schemas import MfaRequired, TokenPair
from disco.platform.api import Uow, from_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/auth/oauth", tags=["auth"])

Oidc = Annotated[OidcLogin, Depends(from_state("oidc"))]
ProviderName = Annotated[str, Path(max_length=60)]
# OAuth names these parameters itself (snake_case), unlike the rest of the API.
OAuthParam = Annotated[str | None, Query(max_length=2048)]


@router.get("/providers")
async def oauth_providers(oidc: Oidc) -> OAuthProviders:
    """The OpenID providers configured here (none: no button to show). No account needed."""
    return OAuthProviders(providers=oidc.provider_names())


@router.get(
    "/{provider}/authorize",
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


@router.get("/{provider}/callback")
async def oauth_callback(
    provider: ProviderName,
    oidc: Oidc,
    uow: Uow,
    request: Request,
    response: Response,
    code: OAuthParam = None,
    state: OAuthParam = None,
    error: OAuthParam = None,
    iss: OAuthParam = None,
    app_binding: Annotated[str | None, Header(alias=BINDING_HEADER, max_length=128)] = None,
) -> TokenPair | MfaRequired:
    """The provider's answer: the token pair, or, with two-factor on, an ``mfaToken`` for
    ``/2fa/verify``. The unit of work opens no transaction before the first SQL statement, which
    comes after every exchange with the provider."""
    cookie = binding_cookie_name(state) if state else None
    binding = app_binding or (request.cookies.get(cookie) if cookie else None)
    if cookie is not None:
        response.delete_cookie(cookie, path="/v1/auth/oauth")
    outcome = await oidc.complete(
        uow, provider, state=state, code=code, error=error, issuer=iss, binding=binding
    )
    return MfaRequired.or_tokens(outcome)

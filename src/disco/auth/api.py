"""Thin endpoints: resolve dependencies, open the unit of work, call one service method."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from disco.auth.schemas import (
    Accepted,
    DisableRequest,
    Jwks,
    LoginRequest,
    Me,
    RefreshRequest,
    ResetPassword,
    ResetRequest,
    SignupRequest,
    TokenPair,
    TokenRequest,
)
from disco.auth.service import AuthService
from disco.platform.api import CurrentPrincipal
from disco.platform.db import Database

router = APIRouter(prefix="/v1/auth", tags=["auth"])
internal = APIRouter(prefix="/internal/auth", include_in_schema=False)


def _service(request: Request) -> AuthService:
    return request.app.state.service


def _db(request: Request) -> Database:
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
async def login(body: LoginRequest, request: Request, auth: Service, db: Db) -> TokenPair:
    async with db.unit_of_work("auth.login") as uow:
        issued = await auth.login(uow, body.email, body.password, client_ip(request))
    return TokenPair.of(issued)


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
        await auth.verify_email(uow, body.token)
    return Accepted(status="verified")


@router.post("/verify-email/resend", status_code=status.HTTP_202_ACCEPTED)
async def resend_verification(principal: CurrentPrincipal, auth: Service, db: Db) -> Accepted:
    async with db.unit_of_work("auth.resend_verification") as uow:
        await auth.resend_verification(uow, principal.user_id)
    return Accepted()


@router.post("/password-reset/request", status_code=status.HTTP_202_ACCEPTED)
async def request_reset(body: ResetRequest, auth: Service, db: Db) -> Accepted:
    async with db.unit_of_work("auth.request_reset") as uow:
        await auth.request_password_reset(uow, body.email)
    return Accepted()


@router.post("/password-reset/reset")
async def reset_password(body: ResetPassword, auth: Service, db: Db) -> Accepted:
    async with db.unit_of_work("auth.reset_password") as uow:
        await auth.reset_password(uow, body.token, body.password)
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

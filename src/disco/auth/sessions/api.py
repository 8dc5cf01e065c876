"""Thin endpoints of sign-in, refresh, sign-out and the published keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from disco.auth.sessions.schemas import Jwks, LoginRequest, MfaRequired, RefreshRequest, TokenPair
from disco.auth.sessions.service import SessionsService
from disco.platform.api import CurrentPrincipal, Uow, from_state

__all__ = ["Sessions", "client_ip", "router"]

router = APIRouter(prefix="/v1/auth", tags=["auth"])

Sessions = Annotated[SessionsService, Depends(from_state("sessions"))]


def client_ip(request: Request) -> str:
    # The gateway is the only door in; it forwards the caller's address here.
    forwarded = request.headers.get("x-disco-client-ip")
    if forwarded:
        return forwarded
    return request.client.host if request.client else "unknown"


@router.post("/login")
async def login(
    body: LoginRequest, request: Request, sessions: Sessions, uow: Uow
) -> TokenPair | MfaRequired:
    """The token pair, or, with two-factor on, an ``mfaToken`` for ``/2fa/verify``."""
    outcome = await sessions.login(
        uow, body.email, body.password, client_ip(request), body.device_token
    )
    return MfaRequired.or_tokens(outcome)


@router.post("/refresh")
async def refresh(body: RefreshRequest, sessions: Sessions, uow: Uow) -> TokenPair:
    return TokenPair.of(await sessions.refresh(uow, body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentPrincipal, sessions: Sessions, uow: Uow) -> Response:
    await sessions.logout(uow, principal.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/.well-known/jwks.json")
async def jwks(sessions: Sessions, response: Response) -> Jwks:
    response.headers["Cache-Control"] = "public, max-age=300"
    return Jwks.model_validate(sessions.keys.jwks)

"""Thin endpoints of accounts: sign-up, the account, email verification, password reset, and
(internal) auth's share of the data export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status

from disco.auth.accounts.recovery import AccountRecovery
from disco.auth.accounts.schemas import (
    Accepted,
    Me,
    ResetPassword,
    ResetRequest,
    SignupRequest,
    TokenRequest,
)
from disco.auth.accounts.service import AccountsService
from disco.auth.sessions.api import client_ip
from disco.auth.sessions.schemas import TokenPair
from disco.platform.api import CurrentPrincipal, Uow, from_state

__all__ = ["internal", "router"]

router = APIRouter(prefix="/v1/auth", tags=["auth"])
# Other services and operators only: mounted under /internal behind the service-credential check.
internal = APIRouter(prefix="/auth", include_in_schema=False)

Service = Annotated[AccountsService, Depends(from_state("accounts"))]
Recovery = Annotated[AccountRecovery, Depends(from_state("recovery"))]


@router.post("/signup", status_code=status.HTTP_201_CREATED)
async def signup(body: SignupRequest, accounts: Service, uow: Uow) -> TokenPair:
    issued = await accounts.signup(uow, body.email, body.password, body.first_name, body.last_name)
    return TokenPair.of(issued)


@router.get("/me")
async def me(principal: CurrentPrincipal, accounts: Service, uow: Uow) -> Me:
    return Me.of(await accounts.me(uow, principal.user_id))


@router.post("/verify-email")
async def verify_email(body: TokenRequest, recovery: Recovery, uow: Uow) -> Accepted:
    await recovery.verify_email(uow, body.token)
    return Accepted(status="verified")


@router.post("/verify-email/resend", status_code=status.HTTP_202_ACCEPTED)
async def resend_verification(
    principal: CurrentPrincipal, recovery: Recovery, uow: Uow
) -> Accepted:
    await recovery.resend_verification(uow, principal.user_id)
    return Accepted()


@router.post("/password-reset/request", status_code=status.HTTP_202_ACCEPTED)
async def request_reset(body: ResetRequest, recovery: Recovery, uow: Uow) -> Accepted:
    await recovery.request_password_reset(uow, body.email)
    return Accepted()


@router.post("/password-reset/reset")
async def reset_password(
    body: ResetPassword, request: Request, recovery: Recovery, uow: Uow
) -> Accepted:
    await recovery.reset_password(uow, body.token, body.password, client_ip(request))
    return Accepted(status="reset")


@internal.get("/users/{user_id}/export")
async def export_user(user_id: str, accounts: Service, uow: Uow) -> dict[str, Any]:
    """Auth's share of the user's data export (the users service assembles the whole)."""
    return await accounts.export(uow, user_id)

"""Thin endpoints of two-factor sign-in: its second step, and turning it on and off."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from disco.auth.mfa.schemas import CodeRequest, MfaVerifyRequest, RecoveryCodes, TwoFactorSetup
from disco.auth.mfa.service import MfaService
from disco.auth.sessions.api import Sessions
from disco.auth.sessions.schemas import TokenPair
from disco.platform.api import CurrentPrincipal, Uow, from_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/auth/2fa", tags=["auth"])

Service = Annotated[MfaService, Depends(from_state("mfa"))]


@router.post("/verify")
async def verify_two_factor(body: MfaVerifyRequest, sessions: Sessions, uow: Uow) -> TokenPair:
    return TokenPair.of(await sessions.verify_mfa(uow, body.mfa_token, body.code))


@router.post("/setup")
async def setup_two_factor(principal: CurrentPrincipal, mfa: Service, uow: Uow) -> TwoFactorSetup:
    return TwoFactorSetup.of(await mfa.setup_two_factor(uow, principal.user_id))


@router.post("/enable")
async def enable_two_factor(
    body: CodeRequest, principal: CurrentPrincipal, mfa: Service, uow: Uow
) -> RecoveryCodes:
    codes = await mfa.enable_two_factor(uow, principal.user_id, principal.session_id, body.code)
    return RecoveryCodes(recovery_codes=codes)


@router.post("/disable", status_code=status.HTTP_204_NO_CONTENT)
async def disable_two_factor(
    body: CodeRequest, principal: CurrentPrincipal, mfa: Service, uow: Uow
) -> Response:
    await mfa.disable_two_factor(uow, principal.user_id, principal.session_id, body.code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

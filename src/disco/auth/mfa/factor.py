"""The second factor of a sign-in, spent: a TOTP code (each time step once) or a recovery code
(each code once). Used by the sign-in (``sessions``) and by the two-factor settings."""

from __future__ import annotations

from disco.auth.accounts.repository import UserRow
from disco.auth.mfa import codes
from disco.auth.mfa.repository import MfaRepository
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork

__all__ = ["BAD_CODE", "SecondFactor"]

BAD_CODE = "The code is not valid; use the current one from your app, or a recovery code."


class SecondFactor:
    def __init__(self, ctx: ServiceContext) -> None:
        self._cipher = ctx.cipher
        self._clock = ctx.clock

    async def spend(self, uow: UnitOfWork, user: UserRow, code: str) -> str | None:
        """Spend ``code`` (a TOTP code or a recovery code); its kind, or None if it is no good."""
        if user.totp_secret is None:
            return None
        repo = MfaRepository(uow)
        if codes.is_totp_code(code):
            secret = self._cipher.decrypt(user.totp_secret)
            step = codes.matching_step(secret, code, self._clock.now())
            if step is not None and await repo.claim_totp_step(user.id, step):
                return "totp"
            return None
        if await repo.use_recovery_code(user.id, codes.recovery_code_hash(code), self._clock.now()):
            return "recovery_code"
        return None

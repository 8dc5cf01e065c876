"""Every SQL statement of two-factor sign-in: the TOTP step last used and the recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update

from disco.auth import models as m
from disco.platform.repository import Repository

__all__ = ["MfaRepository"]


class MfaRepository(Repository):
    async def claim_totp_step(self, user_id: str, step: int) -> bool:
        """Record ``step`` as used; False if it, or a later one, already was (a replay)."""
        u = m.users
        claimed = (
            update(u)
            .where(
                u.c.id == user_id,
                (u.c.totp_last_step.is_(None)) | (u.c.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        return bool(await self.rowcount(claimed))

    async def replace_recovery_codes(self, user_id: str, code_hashes: list[str]) -> None:
        await self.delete_recovery_codes(user_id)
        await self._s.execute(
            m.recovery_codes.insert(), [{"code_hash": h, "user_id": user_id} for h in code_hashes]
        )

    async def use_recovery_code(self, user_id: str, code_hash: str, now: datetime) -> bool:
        """Spend an unused code of this user; False if there is none."""
        r = m.recovery_codes
        used = (
            update(r)
            .where(r.c.user_id == user_id, r.c.code_hash == code_hash, r.c.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(await self.rowcount(used))

    async def delete_recovery_codes(self, user_id: str) -> None:
        await self._s.execute(delete(m.recovery_codes).where(m.recovery_codes.c.user_id == user_id))

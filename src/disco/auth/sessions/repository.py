"""Every SQL statement of sessions: sessions (refresh-token families), refresh tokens and the
signing keys of access tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from disco.auth import models as m
from disco.platform.repository import Repository

__all__ = ["SessionRow", "SessionsRepository"]


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    user_id: str
    created_at: datetime
    revoked_at: datetime | None


class SessionsRepository(Repository):
    # --- sessions and refresh tokens ------------------------------------------------------------
    async def add_session(self, session_id: str, user_id: str, method: str, now: datetime) -> None:
        await self._s.execute(
            m.sessions.insert().values(
                id=session_id, user_id=user_id, method=method, created_at=now
            )
        )

    async def session(self, session_id: str) -> SessionRow | None:
        row = (
            await self._s.execute(select(m.sessions).where(m.sessions.c.id == session_id))
        ).first()
        return SessionRow(row.id, row.user_id, row.created_at, row.revoked_at) if row else None

    async def revoke_session(self, session_id: str, reason: str, now: datetime) -> None:
        await self._s.execute(
            update(m.sessions)
            .where(m.sessions.c.id == session_id, m.sessions.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )

    async def sessions_revoked_since(self, since: datetime) -> list[tuple[str, datetime]]:
        rows = await self._s.execute(
            select(m.sessions.c.id, m.sessions.c.revoked_at).where(m.sessions.c.revoked_at >= since)
        )
        return [(row.id, row.revoked_at) for row in rows]

    async def live_sessions_of(self, user_id: str) -> list[str]:
        rows = await self._s.execute(
            select(m.sessions.c.id).where(
                m.sessions.c.user_id == user_id, m.sessions.c.revoked_at.is_(None)
            )
        )
        return list(rows.scalars())

    async def add_refresh_token(
        self, token_hash: str, session_id: str, now: datetime, expires_at: datetime
    ) -> None:
        await self._s.execute(
            m.refresh_tokens.insert().values(
                token_hash=token_hash, session_id=session_id, issued_at=now, expires_at=expires_at
            )
        )

    async def refresh_token(self, token_hash: str) -> Any:
        query = select(m.refresh_tokens).where(m.refresh_tokens.c.token_hash == token_hash)
        return (await self._s.execute(query)).first()

    async def use_refresh_token(self, token_hash: str, now: datetime) -> bool:
        """Mark used; False if it already was (a concurrent or replayed use)."""
        t = m.refresh_tokens
        used = update(t).where(t.c.token_hash == token_hash, t.c.used_at.is_(None))
        return bool(await self.rowcount(used.values(used_at=now)))

    # --- signing keys ---------------------------------------------------------------------------
    async def signing_keys_published(self, now: datetime) -> list[Any]:
        k = m.signing_keys
        rows = await self._s.execute(
            select(k).where(k.c.expire_at > now).order_by(k.c.created_at.desc())
        )
        return list(rows)

    async def add_signing_key(self, **values: Any) -> None:
        await self._s.execute(m.signing_keys.insert().values(**values))

    async def retire_signing_keys(self, now: datetime, expire_at: datetime) -> None:
        """Stop the signing keys now; publish them only until ``expire_at`` (their last token's
        expiry), not for the rest of the term they were made for."""
        k = m.signing_keys
        await self._s.execute(
            update(k).where(k.c.retire_at > now).values(retire_at=now, expire_at=expire_at)
        )

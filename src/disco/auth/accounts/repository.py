"""Every SQL statement of accounts: the users table (shared by every part of auth), one-time
tokens, and a user's data for the export and the erasure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from disco.auth import models as m
from disco.platform.repository import Repository

__all__ = ["AccountsRepository", "UserRow"]


@dataclass(frozen=True, slots=True)
class UserRow:
    id: str
    email: str
    password_hash: str | None
    first_name: str
    last_name: str
    email_verified: bool
    roles: tuple[str, ...]
    totp_secret: str | None
    totp_enabled: bool
    totp_last_step: int | None
    disabled_at: datetime | None
    disabled_until: datetime | None  # a suspension ends by itself; a ban or disabling does not
    created_at: datetime

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def disabled(self, now: datetime) -> bool:
        if self.disabled_at is None:
            return False
        return self.disabled_until is None or now < self.disabled_until


def _user(row: Any) -> UserRow:
    return UserRow(
        id=row.id,
        email=row.email,
        password_hash=row.password_hash,
        first_name=row.first_name,
        last_name=row.last_name,
        email_verified=row.email_verified,
        roles=tuple(row.roles.split()),
        totp_secret=row.totp_secret,
        totp_enabled=row.totp_enabled,
        totp_last_step=row.totp_last_step,
        disabled_at=row.disabled_at,
        disabled_until=row.disabled_until,
        created_at=row.created_at,
    )


class AccountsRepository(Repository):
    # --- users ----------------------------------------------------------------------------------
    async def user_by_email(self, email: str) -> UserRow | None:
        row = (await self._s.execute(select(m.users).where(m.users.c.email == email))).first()
        return _user(row) if row else None

    async def user_by_id(self, user_id: str) -> UserRow | None:
        row = (await self._s.execute(select(m.users).where(m.users.c.id == user_id))).first()
        return _user(row) if row else None

    async def add_user(self, **values: Any) -> None:
        await self._s.execute(m.users.insert().values(**values))

    async def update_user(self, user_id: str, **values: Any) -> None:
        await self._s.execute(update(m.users).where(m.users.c.id == user_id).values(**values))

    # --- one-time tokens ------------------------------------------------------------------------
    async def add_one_time_token(
        self, token_hash: str, user_id: str, purpose: str, expires_at: datetime
    ) -> None:
        await self._s.execute(
            m.one_time_tokens.insert().values(
                token_hash=token_hash, user_id=user_id, purpose=purpose, expires_at=expires_at
            )
        )

    async def consume_one_time_token(
        self, token_hash: str, purpose: str, now: datetime
    ) -> str | None:
        """Spend a live token; returns its user id, or None if unknown, spent or expired."""
        t = m.one_time_tokens
        row = (
            await self._s.execute(
                select(t.c.user_id).where(
                    t.c.token_hash == token_hash,
                    t.c.purpose == purpose,
                    t.c.used_at.is_(None),
                    t.c.expires_at > now,
                )
            )
        ).first()
        if row is None:
            return None
        spent = await self.rowcount(
            update(t).where(t.c.token_hash == token_hash, t.c.used_at.is_(None)).values(used_at=now)
        )
        return row.user_id if spent else None

    async def spend_one_time_tokens_of(self, user_id: str, purpose: str, now: datetime) -> None:
        t = m.one_time_tokens
        await self._s.execute(
            update(t)
            .where(t.c.user_id == user_id, t.c.purpose == purpose, t.c.used_at.is_(None))
            .values(used_at=now)
        )

    # --- a user's data: export and erasure ------------------------------------------------------
    async def export_user(self, user_id: str) -> dict[str, Any] | None:
        """What auth holds about the user, for their data export; secrets and hashes left out."""
        user = await self.user_by_id(user_id)
        if user is None:
            return None
        s, l = m.sessions, m.oauth_links  # noqa: E741
        sessions = await self._s.execute(
            select(s.c.id, s.c.method, s.c.created_at, s.c.revoked_at, s.c.revoked_reason)
            .where(s.c.user_id == user_id)
            .order_by(s.c.created_at)
        )
        links = await self._s.execute(
            select(l.c.provider, l.c.subject, l.c.created_at).where(l.c.user_id == user_id)
        )
        return {
            "account": {
                "id": user.id,
                "email": user.email,
                "firstName": user.first_name,
                "lastName": user.last_name,
                "emailVerified": user.email_verified,
                "roles": list(user.roles),
                "twoFactorEnabled": user.totp_enabled,
                "disabledAt": user.disabled_at.isoformat() if user.disabled_at else None,
                "createdAt": user.created_at.isoformat(),
            },
            "sessions": [
                {
                    "id": row.id,
                    "method": row.method,
                    "createdAt": row.created_at.isoformat(),
                    "revokedAt": row.revoked_at.isoformat() if row.revoked_at else None,
                    "revokedReason": row.revoked_reason,
                }
                for row in sessions
            ],
            "oauthLinks": [
                {
                    "provider": row.provider,
                    "subject": row.subject,
                    "createdAt": row.created_at.isoformat(),
                }
                for row in links
            ],
        }

    async def delete_user(self, user_id: str) -> None:
        """Erase the user: their sessions, tokens, links and codes go with them (cascades)."""
        await self._s.execute(delete(m.users).where(m.users.c.id == user_id))

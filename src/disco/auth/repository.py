"""Every SQL statement of the auth service's tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from disco.auth import models as m
from disco.platform.db import UnitOfWork

__all__ = ["AuthRepository", "SessionRow", "UserRow"]


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


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    user_id: str
    created_at: datetime
    revoked_at: datetime | None


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


class AuthRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self._s = uow.session

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

    async def claim_totp_step(self, user_id: str, step: int) -> bool:
        """Record ``step`` as used; False if it, or a later one, already was (a replay)."""
        u = m.users
        result = await self._s.execute(
            update(u)
            .where(
                u.c.id == user_id,
                (u.c.totp_last_step.is_(None)) | (u.c.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # --- recovery codes -------------------------------------------------------------------------
    async def replace_recovery_codes(self, user_id: str, code_hashes: list[str]) -> None:
        await self.delete_recovery_codes(user_id)
        await self._s.execute(
            m.recovery_codes.insert(), [{"code_hash": h, "user_id": user_id} for h in code_hashes]
        )

    async def use_recovery_code(self, user_id: str, code_hash: str, now: datetime) -> bool:
        """Spend an unused code of this user; False if there is none."""
        r = m.recovery_codes
        result = await self._s.execute(
            update(r)
            .where(r.c.user_id == user_id, r.c.code_hash == code_hash, r.c.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def delete_recovery_codes(self, user_id: str) -> None:
        await self._s.execute(delete(m.recovery_codes).where(m.recovery_codes.c.user_id == user_id))

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
        result = await self._s.execute(
            update(m.refresh_tokens)
            .where(
                m.refresh_tokens.c.token_hash == token_hash, m.refresh_tokens.c.used_at.is_(None)
            )
            .values(used_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

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
        spent = await self._s.execute(
            update(t).where(t.c.token_hash == token_hash, t.c.used_at.is_(None)).values(used_at=now)
        )
        return row.user_id if spent.rowcount else None  # type: ignore[attr-defined]

    async def spend_one_time_tokens_of(self, user_id: str, purpose: str, now: datetime) -> None:
        t = m.one_time_tokens
        await self._s.execute(
            update(t)
            .where(t.c.user_id == user_id, t.c.purpose == purpose, t.c.used_at.is_(None))
            .values(used_at=now)
        )

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

    # --- OAuth links ----------------------------------------------------------------------------
    async def oauth_user(self, provider: str, subject: str) -> str | None:
        l = m.oauth_links  # noqa: E741
        row = await self._s.execute(
            select(l.c.user_id).where(l.c.provider == provider, l.c.subject == subject)
        )
        return row.scalar_one_or_none()

    async def link_oauth(self, provider: str, subject: str, user_id: str, now: datetime) -> None:
        await self._s.execute(
            m.oauth_links.insert().values(
                provider=provider, subject=subject, user_id=user_id, created_at=now
            )
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

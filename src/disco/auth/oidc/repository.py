"""Every SQL statement of OpenID sign-in: which provider's subject is which account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from disco.auth import models as m
from disco.platform.repository import Repository

__all__ = ["OidcRepository"]


class OidcRepository(Repository):
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

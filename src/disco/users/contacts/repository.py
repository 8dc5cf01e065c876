"""Every SQL statement of emergency contacts and their confirmation links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from disco.platform.repository import Repository
from disco.users import models as m

__all__ = ["ContactRow", "ContactsRepository"]


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: str
    user_id: str
    sealed: str
    confirmed_at: datetime | None
    created_at: datetime
    version: int


_c = m.emergency_contacts
_COLUMNS = [_c.c[name] for name in ContactRow.__dataclass_fields__]


class ContactsRepository(Repository):
    async def contacts(self, user_id: str) -> list[ContactRow]:
        rows = await self._s.execute(
            select(*_COLUMNS).where(_c.c.user_id == user_id).order_by(_c.c.created_at, _c.c.id)
        )
        return [ContactRow(**row._asdict()) for row in rows]

    async def contact(self, user_id: str, contact_id: str) -> ContactRow | None:
        query = select(*_COLUMNS).where(_c.c.id == contact_id, _c.c.user_id == user_id)
        row = (await self._s.execute(query)).first()
        return ContactRow(**row._asdict()) if row else None

    async def count(self, user_id: str) -> int:
        query = select(func.count()).select_from(_c).where(_c.c.user_id == user_id)
        return int((await self._s.execute(query)).scalar_one())

    async def add(self, **values: Any) -> None:
        await self._s.execute(_c.insert().values(**values))

    async def change(self, contact_id: str, **values: Any) -> None:
        await self._s.execute(update(_c).where(_c.c.id == contact_id).values(**values))

    async def next_contact_version(self, contact_id: str) -> int:
        """Raise the contact's version for an event about to be published; the new value."""
        await self._s.execute(
            update(_c).where(_c.c.id == contact_id).values(version=_c.c.version + 1)
        )
        query = select(_c.c.version).where(_c.c.id == contact_id)
        return int((await self._s.execute(query)).scalar_one())

    async def remove(self, user_id: str, contact_id: str) -> bool:
        return bool(
            await self.rowcount(delete(_c).where(_c.c.id == contact_id, _c.c.user_id == user_id))
        )

    async def renew_link(self, contact_id: str, token_hash: str, expires_at: datetime) -> bool:
        """Put a new link in place of the old one, if the contact has not confirmed meanwhile."""
        renewed = (
            update(_c)
            .where(_c.c.id == contact_id, _c.c.confirmed_at.is_(None))
            .values(token_hash=token_hash, token_expires_at=expires_at)
        )
        return bool(await self.rowcount(renewed))

    async def confirm(self, token_hash: str, now: datetime) -> ContactRow | None:
        """Spend a live confirmation link; the contact it confirmed, or None."""
        row = (
            await self._s.execute(
                select(_c.c.id, _c.c.user_id).where(
                    _c.c.token_hash == token_hash, _c.c.token_expires_at > now
                )
            )
        ).first()
        if row is None:
            return None
        spent = (
            update(_c)
            .where(_c.c.id == row.id, _c.c.token_hash == token_hash)
            .values(token_hash=None, token_expires_at=None, confirmed_at=now)
        )
        if not await self.rowcount(spent):
            return None
        return await self.contact(row.user_id, row.id)

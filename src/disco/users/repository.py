"""Every SQL statement of the users service's tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update

from disco.platform.db import UnitOfWork
from disco.users import models as m

__all__ = [
    "BlockRow",
    "ContactRow",
    "PreferencesRow",
    "ProfileRow",
    "UsersRepository",
    "ZoneRow",
]


@dataclass(frozen=True, slots=True)
class ProfileRow:
    user_id: str
    first_name: str
    last_name: str
    bio: str
    birth_date: date | None
    interests: list[str]
    activities: list[str]
    mode: str
    visibility: dict[str, Any]
    photo_key: str | None
    deactivated_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PreferencesRow:
    discovery_radius_meters: int
    time_windows: list[dict[str, Any]]
    age_min: int | None
    age_max: int | None
    professional_only: bool


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: str
    user_id: str
    sealed: str
    confirmed_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ZoneRow:
    id: str
    sealed: str
    radius_meters: int
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BlockRow:
    user_id: str
    blocked_id: str
    until: datetime | None
    created_at: datetime


def _live(until: Any, now: datetime) -> Any:
    return or_(until.is_(None), until > now)


class UsersRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self._s = uow.session

    # --- profiles and preferences ---------------------------------------------------------------
    async def profile(self, user_id: str) -> ProfileRow | None:
        p = m.profiles
        row = (await self._s.execute(select(p).where(p.c.user_id == user_id))).first()
        return ProfileRow(**row._asdict()) if row else None

    async def add_profile(self, **values: Any) -> None:
        await self._s.execute(m.profiles.insert().values(**values))

    async def update_profile(self, user_id: str, **values: Any) -> None:
        p = m.profiles
        await self._s.execute(update(p).where(p.c.user_id == user_id).values(**values))

    async def delete_profile(self, user_id: str) -> None:
        """Everything else of the user's goes with it (foreign keys cascade)."""
        await self._s.execute(delete(m.profiles).where(m.profiles.c.user_id == user_id))

    async def preferences(self, user_id: str) -> PreferencesRow | None:
        p = m.preferences
        row = (
            await self._s.execute(
                select(
                    p.c.discovery_radius_meters,
                    p.c.time_windows,
                    p.c.age_min,
                    p.c.age_max,
                    p.c.professional_only,
                ).where(p.c.user_id == user_id)
            )
        ).first()
        return PreferencesRow(**row._asdict()) if row else None

    async def put_preferences(self, user_id: str, **values: Any) -> None:
        p = m.preferences
        changed = await self._s.execute(update(p).where(p.c.user_id == user_id).values(**values))
        if not changed.rowcount:  # type: ignore[attr-defined]
            await self._s.execute(p.insert().values(user_id=user_id, **values))

    # --- emergency contacts ---------------------------------------------------------------------
    async def contacts(self, user_id: str) -> list[ContactRow]:
        c = m.emergency_contacts
        rows = await self._s.execute(
            select(c.c.id, c.c.user_id, c.c.sealed, c.c.confirmed_at, c.c.created_at)
            .where(c.c.user_id == user_id)
            .order_by(c.c.created_at, c.c.id)
        )
        return [ContactRow(**row._asdict()) for row in rows]

    async def contact(self, user_id: str, contact_id: str) -> ContactRow | None:
        return next((c for c in await self.contacts(user_id) if c.id == contact_id), None)

    async def count_contacts(self, user_id: str) -> int:
        c = m.emergency_contacts
        query = select(func.count()).select_from(c).where(c.c.user_id == user_id)
        return int((await self._s.execute(query)).scalar_one())

    async def add_contact(self, **values: Any) -> None:
        await self._s.execute(m.emergency_contacts.insert().values(**values))

    async def update_contact(self, contact_id: str, **values: Any) -> None:
        c = m.emergency_contacts
        await self._s.execute(update(c).where(c.c.id == contact_id).values(**values))

    async def delete_contact(self, user_id: str, contact_id: str) -> bool:
        c = m.emergency_contacts
        result = await self._s.execute(
            delete(c).where(c.c.id == contact_id, c.c.user_id == user_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def confirm_contact(self, token_hash: str, now: datetime) -> ContactRow | None:
        """Spend a live confirmation token; the contact it confirmed, or None."""
        c = m.emergency_contacts
        row = (
            await self._s.execute(
                select(c.c.id, c.c.user_id).where(
                    c.c.token_hash == token_hash, c.c.token_expires_at > now
                )
            )
        ).first()
        if row is None:
            return None
        spent = await self._s.execute(
            update(c)
            .where(c.c.id == row.id, c.c.token_hash == token_hash)
            .values(token_hash=None, token_expires_at=None, confirmed_at=now)
        )
        if not spent.rowcount:  # type: ignore[attr-defined]
            return None
        return await self.contact(row.user_id, row.id)

    # --- privacy zones --------------------------------------------------------------------------
    async def zones(self, user_id: str, now: datetime) -> list[ZoneRow]:
        z = m.privacy_zones
        rows = await self._s.execute(
            select(z.c.id, z.c.sealed, z.c.radius_meters, z.c.expires_at, z.c.created_at)
            .where(z.c.user_id == user_id, _live(z.c.expires_at, now))
            .order_by(z.c.created_at, z.c.id)
        )
        return [ZoneRow(**row._asdict()) for row in rows]

    async def add_zone(self, **values: Any) -> None:
        await self._s.execute(m.privacy_zones.insert().values(**values))

    async def delete_zone(self, user_id: str, zone_id: str) -> bool:
        z = m.privacy_zones
        result = await self._s.execute(delete(z).where(z.c.id == zone_id, z.c.user_id == user_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def delete_expired_zones(self, user_id: str, now: datetime) -> None:
        z = m.privacy_zones
        await self._s.execute(
            delete(z).where(
                z.c.user_id == user_id, z.c.expires_at.is_not(None), z.c.expires_at <= now
            )
        )

    # --- blocks ---------------------------------------------------------------------------------
    async def blocks(self, user_id: str, now: datetime) -> list[BlockRow]:
        b = m.blocks
        rows = await self._s.execute(
            select(b)
            .where(b.c.user_id == user_id, _live(b.c.until, now))
            .order_by(b.c.created_at, b.c.blocked_id)
        )
        return [BlockRow(**row._asdict()) for row in rows]

    async def blocked_either_way(self, a: str, b_id: str, now: datetime) -> bool:
        b = m.blocks
        query = select(b.c.user_id).where(
            or_(
                and_(b.c.user_id == a, b.c.blocked_id == b_id),
                and_(b.c.user_id == b_id, b.c.blocked_id == a),
            ),
            _live(b.c.until, now),
        )
        return (await self._s.execute(query.limit(1))).first() is not None

    async def put_block(
        self, user_id: str, blocked_id: str, until: datetime | None, now: datetime
    ) -> None:
        b = m.blocks
        changed = await self._s.execute(
            update(b)
            .where(b.c.user_id == user_id, b.c.blocked_id == blocked_id)
            .values(until=until, created_at=now)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            await self._s.execute(
                b.insert().values(
                    user_id=user_id, blocked_id=blocked_id, until=until, created_at=now
                )
            )

    async def delete_block(self, user_id: str, blocked_id: str, now: datetime) -> bool:
        """Lift a block that is still in force; False if there is none."""
        b = m.blocks
        result = await self._s.execute(
            delete(b).where(
                b.c.user_id == user_id, b.c.blocked_id == blocked_id, _live(b.c.until, now)
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # --- key rotation ---------------------------------------------------------------------------
    async def reseal_all(self, reseal: Callable[[str], str]) -> int:
        """Rewrite every encrypted field through ``reseal``; returns how many rows."""
        count = 0
        for table in (m.emergency_contacts, m.privacy_zones):
            rows = list(await self._s.execute(select(table.c.id, table.c.sealed)))
            for row in rows:
                await self._s.execute(
                    update(table).where(table.c.id == row.id).values(sealed=reseal(row.sealed))
                )
            count += len(rows)
        return count

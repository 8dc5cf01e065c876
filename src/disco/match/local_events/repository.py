"""Every SQL statement of local events."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, delete, func, literal, or_, select, true

from disco.match.local_events.models import attendees, local_events
from disco.platform.db import UtcDateTime
from disco.platform.repository import Repository

__all__ = ["Box", "LocalEventRow", "LocalEventsRepository"]


@dataclass(frozen=True, slots=True)
class LocalEventRow:
    id: str
    host_id: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    latitude: float
    longitude: float
    place: str | None
    capacity: int | None


@dataclass(frozen=True, slots=True)
class Box:
    """A latitude/longitude rectangle; ``west`` > ``east`` when it spans the antimeridian."""

    south: float
    north: float
    west: float
    east: float


_COLUMNS = [local_events.c[name] for name in LocalEventRow.__slots__]


class LocalEventsRepository(Repository):
    async def add(self, **values: Any) -> None:
        await self._s.execute(local_events.insert().values(**values))

    async def get(self, event_id: str, *, lock: bool = False) -> LocalEventRow | None:
        """``lock``: hold the row until commit, so joins of one event queue up behind it."""
        query = select(*_COLUMNS).where(local_events.c.id == event_id)
        if lock:
            query = query.with_for_update()
        row = (await self._s.execute(query)).first()
        return LocalEventRow(**row._asdict()) if row else None

    async def upcoming_of(self, user_id: str, now: datetime) -> list[LocalEventRow]:
        """Not yet over, hosted or joined by the user; soonest first."""
        e = local_events.c
        joined = select(attendees.c.event_id).where(attendees.c.user_id == user_id)
        query = (
            select(*_COLUMNS)
            .where(e.ends_at >= now, or_(e.host_id == user_id, e.id.in_(joined)))
            .order_by(e.starts_at, e.id)
        )
        return [LocalEventRow(**row._asdict()) for row in await self._s.execute(query)]

    async def upcoming_in(self, box: Box, now: datetime) -> list[LocalEventRow]:
        e = local_events.c
        longitude = (
            e.longitude.between(box.west, box.east)
            if box.west <= box.east
            else or_(e.longitude >= box.west, e.longitude <= box.east)
        )
        query = select(*_COLUMNS).where(
            e.ends_at >= now, e.latitude.between(box.south, box.north), longitude
        )
        return [LocalEventRow(**row._asdict()) for row in await self._s.execute(query)]

    async def join(self, event_id: str, user_id: str, at: datetime, capacity: int | None) -> bool:
        """False if the user had joined already, or the event is full. One statement: two
        joins at once cannot both take the last place (SQLite runs each statement alone; on
        PostgreSQL the caller holds the event's row lock)."""
        a = attendees.c
        room: Any = true()
        if capacity is not None:
            taken = select(func.count()).where(a.event_id == event_id).scalar_subquery()
            room = taken < capacity
        row = select(
            literal(event_id, String()), literal(user_id, String()), literal(at, UtcDateTime())
        ).where(room)
        added = await self._s.execute(
            self.insert(attendees)
            .from_select([a.event_id, a.user_id, a.joined_at], row)
            .on_conflict_do_nothing()
        )
        return bool(added.rowcount)  # type: ignore[attr-defined]

    async def leave(self, event_id: str, user_id: str) -> None:
        a = attendees.c
        await self._s.execute(delete(attendees).where(a.event_id == event_id, a.user_id == user_id))

    async def attendance(self, event_ids: Collection[str]) -> dict[str, int]:
        a = attendees.c
        query = (
            select(a.event_id, func.count())
            .where(a.event_id.in_(list(event_ids)))
            .group_by(a.event_id)
        )
        return {event_id: int(count) for event_id, count in await self._s.execute(query)}

    async def joined_by(self, user_id: str, event_ids: Collection[str]) -> set[str]:
        a = attendees.c
        query = select(a.event_id).where(a.user_id == user_id, a.event_id.in_(list(event_ids)))
        return set((await self._s.execute(query)).scalars())

    async def erase_user(self, user_id: str) -> None:
        """The user's attendance, and the events they host with everyone's attendance of them."""
        hosted = select(local_events.c.id).where(local_events.c.host_id == user_id)
        a = attendees.c
        await self._s.execute(
            delete(attendees).where(or_(a.user_id == user_id, a.event_id.in_(hosted)))
        )
        await self._s.execute(delete(local_events).where(local_events.c.host_id == user_id))

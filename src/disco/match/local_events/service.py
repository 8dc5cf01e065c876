"""Rules of local events. Never commits (the caller's unit of work does).

- An event is public: its place is stored and shown. The point a user searches from is not:
  it is used for one query and forgotten (never stored, logged or published).
- Upcoming means not over yet: once ``ends_at`` passes (by the injected clock) an event drops
  out of every list and can no longer be joined or left.
- The host attends their own event and counts towards its capacity; a full event refuses
  joins with 409. Joining or leaving twice is harmless.
- Blocks are absolute and hidden accounts are hidden: an event whose host is blocked either
  way, or deactivated, does not exist for the other person.
"""

from __future__ import annotations

import asyncio
import math

from disco.clients.users import UsersClient
from disco.match.engine.geo import METRES_PER_DEGREE_LAT, haversine_m, metres_per_degree_lon
from disco.match.local_events.repository import Box, LocalEventRow, LocalEventsRepository
from disco.match.local_events.schemas import MAX_AHEAD, LocalEvent, LocalEventIn
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import Conflict, NotFound, ValidationFailed

__all__ = ["LocalEventsService", "box_around", "erase_user_local_events"]

_NO_EVENT = "No such upcoming event."


def box_around(latitude: float, longitude: float, radius_m: float) -> Box:
    """The smallest latitude/longitude rectangle holding every point within ``radius_m``."""
    dlat = radius_m / METRES_PER_DEGREE_LAT
    south, north = max(-90.0, latitude - dlat), min(90.0, latitude + dlat)
    widest = metres_per_degree_lon(max(abs(south), abs(north)))
    dlon = radius_m / widest if widest > 0 else math.inf
    if dlon >= 180:  # a pole is inside: every longitude
        return Box(south, north, -180.0, 180.0)
    west, east = longitude - dlon, longitude + dlon
    return Box(
        south, north, west + 360 if west < -180 else west, east - 360 if east > 180 else east
    )


class LocalEventsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._clock = ctx.clock
        self._users = UsersClient(ctx.services)

    async def create(self, uow: UnitOfWork, user_id: str, body: LocalEventIn) -> LocalEvent:
        now = self._clock.now()
        if body.ends_at <= now:
            raise ValidationFailed("The event would be over already: endsAt is in the past.")
        if body.starts_at > now + MAX_AHEAD:
            raise ValidationFailed(f"An event starts within {MAX_AHEAD.days} days.")
        repo = LocalEventsRepository(uow)
        event_id = new_id()
        await repo.add(
            id=event_id,
            host_id=user_id,
            created_at=now,
            **body.model_dump(),
        )
        await repo.join(event_id, user_id, now, capacity=None)
        created = await repo.get(event_id)
        assert created is not None  # written just above, in this transaction
        (event,) = await self._views(repo, user_id, [created])
        return event

    async def upcoming(self, uow: UnitOfWork, user_id: str) -> list[LocalEvent]:
        """The events the user hosts or joined that are not over; soonest first."""
        repo = LocalEventsRepository(uow)
        rows = await repo.upcoming_of(user_id, self._clock.now())
        hidden = await self._hidden_hosts(user_id, rows)
        return await self._views(repo, user_id, [r for r in rows if r.host_id not in hidden])

    async def nearby(
        self,
        uow: UnitOfWork,
        user_id: str,
        latitude: float,
        longitude: float,
        radius_m: float,
        limit: int,
    ) -> list[LocalEvent]:
        """Upcoming events within ``radius_m`` of the point, nearest first."""
        repo = LocalEventsRepository(uow)
        candidates = await repo.upcoming_in(
            box_around(latitude, longitude, radius_m), self._clock.now()
        )
        distances = {
            row.id: haversine_m(latitude, longitude, row.latitude, row.longitude)
            for row in candidates
        }
        inside = [row for row in candidates if distances[row.id] <= radius_m]
        hidden = await self._hidden_hosts(user_id, inside)
        shown = sorted(
            (row for row in inside if row.host_id not in hidden),
            key=lambda row: (distances[row.id], row.starts_at, row.id),
        )[:limit]
        return [
            event.model_copy(update={"distance_meters": round(distances[event.id])})
            for event in await self._views(repo, user_id, shown)
        ]

    async def join(self, uow: UnitOfWork, user_id: str, event_id: str) -> LocalEvent:
        repo = LocalEventsRepository(uow)
        # Locked: joins of one event queue up, so the capacity check sees every place taken.
        row = await self._upcoming(repo, user_id, event_id, lock=True)
        if not await repo.join(
            row.id, user_id, self._clock.now(), row.capacity
        ) and not await repo.joined_by(user_id, [row.id]):
            raise Conflict("The event is full.")
        (event,) = await self._views(repo, user_id, [row])
        return event

    async def leave(self, uow: UnitOfWork, user_id: str, event_id: str) -> LocalEvent:
        repo = LocalEventsRepository(uow)
        row = await self._upcoming(repo, user_id, event_id)
        await repo.leave(row.id, user_id)
        (event,) = await self._views(repo, user_id, [row])
        return event

    async def _upcoming(
        self, repo: LocalEventsRepository, user_id: str, event_id: str, *, lock: bool = False
    ) -> LocalEventRow:
        row = await repo.get(event_id, lock=lock)
        if (
            row is None
            or row.ends_at < self._clock.now()
            or await self._hidden_hosts(user_id, [row])
        ):
            raise NotFound(_NO_EVENT)
        return row

    async def _hidden_hosts(self, user_id: str, rows: list[LocalEventRow]) -> set[str]:
        """Hosts of these events the user may not see: blocked either way, or deactivated."""
        hosts = sorted({row.host_id for row in rows} - {user_id})
        views = await asyncio.gather(
            *(self._users.profile_view(host, user_id, "nearby") for host in hosts)
        )
        return {host for host, view in zip(hosts, views, strict=True) if view is None}

    @staticmethod
    async def _views(
        repo: LocalEventsRepository, user_id: str, rows: list[LocalEventRow]
    ) -> list[LocalEvent]:
        ids = [row.id for row in rows]
        counts = await repo.attendance(ids)
        joined = await repo.joined_by(user_id, ids)
        return [
            LocalEvent(
                id=row.id,
                title=row.title,
                description=row.description,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                latitude=row.latitude,
                longitude=row.longitude,
                place=row.place,
                capacity=row.capacity,
                attendees=counts.get(row.id, 0),
                joined=row.id in joined,
                hosting=row.host_id == user_id,
            )
            for row in rows
        ]


async def erase_user_local_events(uow: UnitOfWork, user_id: str) -> None:
    """``users.user.deleted``: the events they host and every attendance of theirs go."""
    await LocalEventsRepository(uow).erase_user(user_id)

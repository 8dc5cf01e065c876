"""Every SQL statement of venues."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from disco.platform.repository import Repository
from disco.safety import models as m

__all__ = ["SpotsRepository", "VenueRow"]


@dataclass(frozen=True, slots=True)
class VenueRow:
    id: str
    name: str
    category: str
    latitude: float
    longitude: float


class SpotsRepository(Repository):
    async def upsert_venues(self, venues: Sequence[dict[str, Any]], now: datetime) -> None:
        for venue in venues:
            await self.upsert(m.venues, {**venue, "updated_at": now}, key=["id"])

    async def venues_within(
        self, south: float, west: float, north: float, east: float, limit: int
    ) -> list[VenueRow]:
        v = m.venues
        rows = await self._s.execute(
            select(v.c.id, v.c.name, v.c.category, v.c.latitude, v.c.longitude)
            .where(v.c.latitude.between(south, north), v.c.longitude.between(west, east))
            .limit(limit)
        )
        return [VenueRow(**row._asdict()) for row in rows]

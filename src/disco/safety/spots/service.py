"""The rules of meeting spots: venues near the midpoint of both people's ~500 m cells (each
taken after a secret shift), by name, never the midpoint itself or a distance. Never commits."""

from __future__ import annotations

import math

from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork
from disco.platform.offsets import secret_offset_m, utc_day
from disco.safety.people.service import partner_in
from disco.safety.spots.repository import SpotsRepository, VenueRow
from disco.safety.spots.schemas import MeetingSpots, Spot

__all__ = ["SpotsService", "cell_center"]

# Coarse cells for meeting spots: about 500 m on a side; the search box around their midpoint.
CELL_METERS = 500.0
SPOT_SEARCH_METERS = (1_500.0, 5_000.0)
SPOT_LIMIT = 10
CELL_TTL_SECONDS = 3600
# How far a person's position is shifted before its cell is taken (see _shown_cell).
SHIFT_M = (CELL_METERS, 1.5 * CELL_METERS)
_METERS_PER_DEGREE = 111_320.0


def cell_center(latitude: float, longitude: float) -> tuple[float, float]:
    """The centre of the ~500 m cell holding a position: what is kept of it, never the point."""
    step = CELL_METERS / _METERS_PER_DEGREE
    lat = (math.floor(latitude / step) + 0.5) * step
    lon_step = step / max(math.cos(math.radians(lat)), 0.01)
    lon = (math.floor(longitude / lon_step) + 0.5) * lon_step
    return round(lat, 6), round(lon, 6)


def _moved(latitude: float, longitude: float, north_m: float, east_m: float) -> tuple[float, float]:
    lat = max(-89.9, min(89.9, latitude + north_m / _METERS_PER_DEGREE))
    lon = longitude + east_m / (_METERS_PER_DEGREE * math.cos(math.radians(lat)))
    return lat, (lon + 180.0) % 360.0 - 180.0


class SpotsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._kv = ctx.kv
        self._clock = ctx.clock
        self._secret = ctx.cipher.derive_secret("meeting-spots")

    def shown_cell(self, user_id: str, latitude: float, longitude: float) -> tuple[float, float]:
        """The cell kept for the partner to use: the one holding the position after a shift
        of one to one and a half cells in a direction only the server knows (per person, per UTC
        day): almost always another cell than the person's, ~700 m away in the median. The
        partner can learn no more than that cell from the venues offered, and cannot probe for
        its edge: the person's app sends the position, not the partner's."""
        day = utc_day(self._clock.timestamp())
        north, east = secret_offset_m(self._secret, user_id, day, *SHIFT_M)
        return cell_center(*_moved(latitude, longitude, north, east))

    async def meeting_spots(
        self, uow: UnitOfWork, user_id: str, match_id: str, latitude: float, longitude: float
    ) -> MeetingSpots:
        """Venues near the midpoint of both people's ~500 m cells.

        Each participant's app sends its own position with the request; only the cell centre is
        kept (in the key-value store, for an hour, per match) so the other can use it. The
        answer lists venues only, by name, never the midpoint or a distance.
        """
        partner = await partner_in(uow, user_id, match_id, ongoing=True)
        mine = self.shown_cell(user_id, latitude, longitude)
        await self._kv.set(
            f"safety:cell:{match_id}:{user_id}", f"{mine[0]},{mine[1]}", ttl=CELL_TTL_SECONDS
        )
        theirs = await self._kv.get(f"safety:cell:{match_id}:{partner}")
        if theirs is None:  # venues for the caller alone, near where they really are
            center, basis = cell_center(latitude, longitude), "you"
        else:
            lat, lon = (float(x) for x in theirs.split(","))
            center, basis = ((mine[0] + lat) / 2, (mine[1] + lon) / 2), "both"
        venues = await self._venues_around(SpotsRepository(uow), center)

        def distance(v: VenueRow) -> float:
            return math.hypot(
                v.latitude - center[0],
                (v.longitude - center[1]) * math.cos(math.radians(center[0])),
            )

        nearest = sorted(venues, key=distance)[:SPOT_LIMIT]
        # By name, so the order does not point at the midpoint.
        spots = sorted(
            (
                Spot(
                    id=v.id,
                    name=v.name,
                    category=v.category,
                    latitude=v.latitude,
                    longitude=v.longitude,
                )
                for v in nearest
            ),
            key=lambda s: (s.name, s.id),
        )
        return MeetingSpots(basis=basis, spots=spots)

    @staticmethod
    async def _venues_around(repo: SpotsRepository, center: tuple[float, float]) -> list[VenueRow]:
        """Up to 500 venues in the smallest search box around ``center`` that has any."""
        venues: list[VenueRow] = []
        for radius in SPOT_SEARCH_METERS:
            d_lat = radius / _METERS_PER_DEGREE
            d_lon = d_lat / max(math.cos(math.radians(center[0])), 0.01)
            venues = await repo.venues_within(
                center[0] - d_lat, center[1] - d_lon, center[0] + d_lat, center[1] + d_lon, 500
            )
            if venues:
                break
        return venues

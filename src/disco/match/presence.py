"""The presence port: who is in discovery mode where, right now, and which pairs just met.

Two adapters pass one contract suite (``tests/contract/test_match_presence.py``):

- ``MemoryPresence`` (``disco up``): the proximity engine in this process's memory;
- ``RedisPresence`` (``DISCO_REDIS_URL`` set): shared by every match process.

Positions live only here: never in a SQL table, a log line or an event (DESIGN.md section 6).
Time is the caller's (``at`` / ``now`` in epoch seconds from the injected clock), never read
from a clock inside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from disco.match.engine.geo import MAX_ABS_LATITUDE, Bucket, Displacement, wrap_lon
from disco.match.engine.index import DEFAULT_RADIUS_LADDER, PresenceIndex

__all__ = [
    "MAX_ABS_LATITUDE",
    "MAX_RADIUS_M",
    "Fix",
    "MemoryPresence",
    "Presence",
    "Sighting",
    "check_fix",
]

MAX_RADIUS_M = DEFAULT_RADIUS_LADDER[-1]


def check_fix(latitude: float, longitude: float, radius_m: float) -> float:
    """ValueError unless the fix can be placed: checked before anything changes. Both adapters
    refuse the same positions (Redis GEO indexes nothing nearer the poles than
    ``MAX_ABS_LATITUDE``), so switching backend changes no answer. Returns the longitude to
    store: 180 as -180, the same meridian."""
    if not (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and -MAX_ABS_LATITUDE <= latitude <= MAX_ABS_LATITUDE
        and -180.0 <= longitude <= 180.0
    ):
        raise ValueError(
            f"position must be within {MAX_ABS_LATITUDE} degrees of latitude and 180 of longitude"
        )
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise ValueError(f"radius must be in (0, {MAX_RADIUS_M}] metres")
    return wrap_lon(longitude)


@dataclass(frozen=True, slots=True)
class Fix:
    """A user's last accepted position: the service checks the next one's speed against it."""

    latitude: float
    longitude: float
    at: float


@dataclass(frozen=True, slots=True)
class Sighting:
    user_id: str
    bucket: Bucket


class Presence(Protocol):
    async def move(
        self, user_id: str, latitude: float, longitude: float, radius_m: float, at: float
    ) -> list[str]:
        """Place or move a user. Returns the partners whose **encounter just started**: now
        within both radii (true positions), and not already in an encounter with this user nor
        back within ``cooldown_s`` of their last one. Each encounter is returned once, to one
        caller, even when several processes move users concurrently. ValueError (and nothing
        changed) for a position or radius ``check_fix`` refuses."""
        ...

    async def remove(self, user_id: str, at: float) -> None:
        """Discovery switched off: gone at once; the user's encounters end now."""
        ...

    async def last_fix(self, user_id: str) -> Fix | None: ...

    async def nearby(self, user_id: str) -> list[Sighting]:
        """Everyone within both radii of the user now, with the bucket the user may see (from
        snapped, displaced positions). Empty if the user is absent. In no particular order."""
        ...

    async def bucket(self, viewer_id: str, other_id: str) -> Bucket | None:
        """The bucket ``viewer_id`` may see of ``other_id``; None unless both are present."""
        ...

    async def expire(self, now: float) -> list[str]:
        """Drop users silent for ``ttl_s``; returns them, and those a ``move`` or ``remove``
        already dropped for silence since the last call (unless they came back). Each is
        returned once, to one caller. Safe to call from every process."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class MemoryPresence:
    """The engine's index behind the port: one process, anywhere on Earth (engine/sphere.py)."""

    def __init__(
        self,
        *,
        ttl_s: float,
        cooldown_s: float,
        displacement: Displacement,
    ) -> None:
        self._ttl_s = ttl_s
        self._cooldown_s = cooldown_s
        self._displacement = displacement
        self._index: PresenceIndex | None = None
        self._fixes: dict[str, Fix] = {}
        self._shown: dict[str, tuple[float, float]] = {}

    def _engine(self) -> PresenceIndex:
        if self._index is None:
            self._index = PresenceIndex(ttl_s=self._ttl_s, cooldown_s=self._cooldown_s)
        return self._index

    async def move(
        self, user_id: str, latitude: float, longitude: float, radius_m: float, at: float
    ) -> list[str]:
        longitude = check_fix(latitude, longitude, radius_m)
        index = self._engine()
        met = index.upsert(user_id, latitude, longitude, radius_m, at)
        self._fixes[user_id] = Fix(latitude, longitude, at)
        self._shown[user_id] = self._displacement.shown(user_id, latitude, longitude, at)
        return met

    async def remove(self, user_id: str, at: float) -> None:
        if self._index is not None:
            self._index.remove(user_id, at)
        self._forget([user_id])

    async def last_fix(self, user_id: str) -> Fix | None:
        # Users the engine dropped while advancing time linger here until the next expire().
        return self._fixes.get(user_id) if self._present(user_id) else None

    async def nearby(self, user_id: str) -> list[Sighting]:
        index = self._index
        fix = self._fixes.get(user_id)
        if index is None or fix is None or not self._present(user_id):
            return []
        here = (fix.latitude, fix.longitude)
        return [
            Sighting(other, self._displacement.bucket(here, self._shown[other]))
            for other in index.query(user_id)
        ]

    async def bucket(self, viewer_id: str, other_id: str) -> Bucket | None:
        fix, shown = self._fixes.get(viewer_id), self._shown.get(other_id)
        if (
            fix is None
            or shown is None
            or not (self._present(viewer_id) and self._present(other_id))
        ):
            return None
        return self._displacement.bucket((fix.latitude, fix.longitude), shown)

    async def expire(self, now: float) -> list[str]:
        if self._index is None:
            return []
        self._index.expire(now)
        # Also those the engine dropped while an update advanced its time.
        gone = [user_id for user_id in self._fixes if not self._present(user_id)]
        self._forget(gone)
        return gone

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._index = None
        self._fixes.clear()
        self._shown.clear()

    def _present(self, user_id: str) -> bool:
        return self._index is not None and user_id in self._index

    def _forget(self, user_ids: list[str]) -> None:
        for user_id in user_ids:
            self._fixes.pop(user_id, None)
            self._shown.pop(user_id, None)

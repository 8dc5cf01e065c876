"""The presence port: who is in discovery mode where, right now, and which pairs just met.

Two adapters pass one contract suite (``tests/contract/test_match_presence.py``):

- ``MemoryPresence`` (``disco up``): the proximity engine in this process's memory;
- ``RedisPresence`` (``DISCO_REDIS_URL`` set): shared by every match process.

The match service gives presence the positions users are **shown** at (displaced and snapped,
``engine/geo.py`` ``Displacement``), never true ones, so everything presence answers - who is
in range, who just met, the buckets - is computed from shown positions alone. Presence also
remembers each user's last accepted fix (shown position and times) for ``memory_s`` after it,
even once they left discovery, so the next fix's speed check has something to go by.

Positions live only here, in memory or Redis with a TTL: never in a SQL table, a log line or an
event (DESIGN.md section 6). Time is the caller's (``at`` / ``now`` in epoch seconds from the
injected clock), never read from a clock inside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Final, Literal, Protocol

from disco.match.engine.geo import MAX_ABS_LATITUDE, Bucket, shown_bucket, wrap_lon
from disco.match.engine.index import DEFAULT_RADIUS_LADDER, PresenceIndex

__all__ = [
    "MAX_ABS_LATITUDE",
    "MAX_RADIUS_M",
    "UNCHECKED",
    "Fix",
    "FixChanged",
    "MemoryPresence",
    "Presence",
    "Replaces",
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
    """What presence remembers of a user's last accepted fix, to check the next one against:
    where they were shown (a displaced, snapped cell centre: never where they were), when the
    server accepted it (``at``), when the device says it was taken (``taken_at``, not later),
    and the speed check's slack left, metres."""

    latitude: float
    longitude: float
    at: float
    taken_at: float
    slack_m: float


class FixChanged(Exception):
    """A move was placed against a last fix that presence no longer holds: another process
    moved the user meanwhile, or the fix was forgotten. Nothing changed; place it again
    against ``last_fix``."""


class _Unchecked(Enum):
    UNCHECKED = "unchecked"


# A move that replaces whatever last fix presence holds (placed against none in particular).
UNCHECKED: Final = _Unchecked.UNCHECKED
Replaces = Fix | None | Literal[_Unchecked.UNCHECKED]


@dataclass(frozen=True, slots=True)
class Sighting:
    user_id: str
    bucket: Bucket


class Presence(Protocol):
    async def move(
        self,
        user_id: str,
        latitude: float,
        longitude: float,
        radius_m: float,
        at: float,
        *,
        taken_at: float | None = None,
        slack_m: float = 0.0,
        replaces: Replaces = UNCHECKED,
    ) -> list[str]:
        """Place or move a user, and remember the fix (``taken_at`` defaults to ``at``).
        Returns the partners whose **encounter just started**: now within both radii, and not
        already in an encounter with this user nor back within ``cooldown_s`` of their last
        one. Each encounter is returned once, to one caller, even when several processes move
        users concurrently. ValueError (and nothing changed) for a position or radius
        ``check_fix`` refuses. With ``replaces`` (the last fix the move was checked against,
        None for none), FixChanged and nothing changed unless that is still the last fix."""
        ...

    async def remove(self, user_id: str, at: float) -> None:
        """Discovery switched off: gone at once; the user's encounters end now. The last fix is
        still remembered (switching off and on must not reset the speed check)."""
        ...

    async def forget(self, user_id: str, at: float) -> None:
        """The account is gone: removed, and its last fix forgotten."""
        ...

    async def present(self, user_id: str) -> bool: ...

    async def everyone(self) -> list[str]:
        """Every user present now (those silent for ``ttl_s`` may linger until the next
        ``expire``), in no particular order: for the match service's start, not the hot path."""
        ...

    async def last_fix(self, user_id: str, *, recalled: bool = False) -> Fix | None:
        """The user's last accepted fix, present or not, for at least ``memory_s`` after it.
        ``recalled``: the one this process last stored or read, if it has one, without asking
        the shared store; it may be out of date, so a move placed against it passes it as
        ``replaces``."""
        ...

    async def nearby(self, user_id: str) -> list[Sighting]:
        """Everyone within both radii of the user now, with the bucket between the two shown
        positions. Empty if the user is absent. In no particular order."""
        ...

    async def bucket(self, viewer_id: str, other_id: str) -> Bucket | None:
        """The bucket between two users' shown positions (the same both ways); None unless both
        are present."""
        ...

    async def expire(self, now: float) -> list[str]:
        """Drop users silent for ``ttl_s``; returns them, and those a ``move`` or ``remove``
        already dropped for silence since the last call (unless they came back). Each is
        returned once, to one caller. Safe to call from every process. Also forgets fixes
        older than ``memory_s``."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class MemoryPresence:
    """The engine's index behind the port: one process, anywhere on Earth (engine/sphere.py)."""

    def __init__(self, *, ttl_s: float, cooldown_s: float, memory_s: float) -> None:
        if memory_s <= 0:
            raise ValueError("memory_s must be positive")
        self._index = PresenceIndex(ttl_s=ttl_s, cooldown_s=cooldown_s)
        self._memory_s = memory_s
        self._fixes: dict[str, Fix] = {}
        # Where each user placed is shown; users the engine dropped while advancing time linger
        # here until the next expire(), which reports them.
        self._shown: dict[str, tuple[float, float]] = {}

    async def move(
        self,
        user_id: str,
        latitude: float,
        longitude: float,
        radius_m: float,
        at: float,
        *,
        taken_at: float | None = None,
        slack_m: float = 0.0,
        replaces: Replaces = UNCHECKED,
    ) -> list[str]:
        longitude = check_fix(latitude, longitude, radius_m)
        if replaces is not UNCHECKED and self._fixes.get(user_id) != replaces:
            raise FixChanged(user_id)
        met = self._index.upsert(user_id, latitude, longitude, radius_m, at)
        self._shown[user_id] = (latitude, longitude)
        taken = at if taken_at is None else taken_at
        self._fixes[user_id] = Fix(latitude, longitude, at, taken, slack_m)
        return met

    async def remove(self, user_id: str, at: float) -> None:
        self._index.remove(user_id, at)
        self._shown.pop(user_id, None)

    async def forget(self, user_id: str, at: float) -> None:
        await self.remove(user_id, at)
        self._fixes.pop(user_id, None)

    async def present(self, user_id: str) -> bool:
        return user_id in self._index

    async def everyone(self) -> list[str]:
        return [user_id for user_id in self._shown if user_id in self._index]

    async def last_fix(self, user_id: str, *, recalled: bool = False) -> Fix | None:
        return self._fixes.get(user_id)  # this process's memory is the store

    async def nearby(self, user_id: str) -> list[Sighting]:
        if user_id not in self._index:
            return []
        here = self._shown[user_id]
        return [
            Sighting(other, shown_bucket(here, self._shown[other]))
            for other in self._index.query(user_id)
        ]

    async def bucket(self, viewer_id: str, other_id: str) -> Bucket | None:
        if viewer_id not in self._index or other_id not in self._index:
            return None
        return shown_bucket(self._shown[viewer_id], self._shown[other_id])

    async def expire(self, now: float) -> list[str]:
        self._index.expire(now)
        # Also those the engine dropped while an update advanced its time.
        gone = [user_id for user_id in self._shown if user_id not in self._index]
        for user_id in gone:
            del self._shown[user_id]
        old = [u for u, fix in self._fixes.items() if fix.at + self._memory_s <= now]
        for user_id in old:
            del self._fixes[user_id]
        return gone

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._fixes.clear()
        self._shown.clear()

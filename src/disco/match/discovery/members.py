"""Matching's view of each user, cached in memory: the projection of ``users.*`` events.

The cache is dropped, in every match process, on ``match.candidate.changed`` (published after
each change commits), with a TTL as a safety net. Privacy zones arrive sealed and are opened
only here, into memory.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Literal

from disco.contracts.events.users import PrivacyZoneArea
from disco.match.discovery.repository import (
    DiscoveryTables,
    MemberRows,
    PreferencesRow,
    ProfileRow,
)
from disco.match.engine.rules import Block, Candidate, PrivacyZone, TimeWindow
from disco.platform.context import ServiceContext
from disco.platform.db import Database
from disco.platform.security import FieldCipher

__all__ = ["MAX_INDEX_RADIUS_M", "MEMBER_CACHE_TTL_S", "Member", "MemberCache", "Reason"]

# How long a cached member is trusted without an invalidation (lost events, a missed broadcast).
# Every change invalidates at once; this only bounds how long a lost invalidation could last.
MEMBER_CACHE_TTL_S = 600.0
MAX_INDEX_RADIUS_M = 1609.0
# At most this many members are read in one transaction (SQLite caps a statement's parameters).
MEMBER_LOAD_BATCH = 500
WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}

Reason = Literal["inaccurate", "stale", "implausible", "privacy_zone", "outside_time_window"]


@dataclass(frozen=True, slots=True)
class Member:
    """One user as matching sees them, cached. ``candidate`` carries no position and no zones:
    partners' zones were checked when they last moved, the mover's are checked on its fix."""

    user_id: str
    name: str
    candidate: Candidate | None  # None until both profile and preferences are projected
    radius_m: float
    zones: tuple[PrivacyZone, ...]
    blocks: tuple[Block, ...]  # by this user or of this user: absolute, so cached with them
    discovery_on: bool
    discovery_until: datetime | None
    deactivated: bool
    loaded_at: float

    def discovering(self, now: datetime) -> bool:
        ends = self.discovery_until
        return self.discovery_on and not self.deactivated and (ends is None or now < ends)

    def hidden_at(self, latitude: float, longitude: float, now: datetime) -> Reason | None:
        """Why this user is not discoverable here and now, if they are not."""
        if any(zone.hides(latitude, longitude, now) for zone in self.zones):
            return "privacy_zone"
        if self.candidate is not None and not self.candidate.available(now):
            return "outside_time_window"
        return None


def build_member(user_id: str, rows: MemberRows, cipher: FieldCipher, loaded_at: float) -> Member:
    profile, prefs = rows.profile, rows.preferences
    zones = []
    for zone in rows.zones:
        # Kept sealed as users sent it; opened only here, into memory.
        area = PrivacyZoneArea.model_validate_json(cipher.decrypt(zone.sealed_area))
        zones.append(
            PrivacyZone(area.latitude, area.longitude, area.radius_meters, zone.expires_at)
        )
    candidate = None
    if profile is not None and prefs is not None:
        candidate = _candidate(user_id, profile, prefs)
    return Member(
        user_id=user_id,
        name=profile.first_name if profile else "",
        candidate=candidate,
        radius_m=min(float(prefs.radius_meters), MAX_INDEX_RADIUS_M) if prefs else 0.0,
        zones=tuple(zones),
        blocks=tuple(Block(row.blocker, row.blocked, row.until) for row in rows.blocks),
        discovery_on=rows.discovery.enabled if rows.discovery else False,
        discovery_until=rows.discovery.until if rows.discovery else None,
        deactivated=rows.deactivated,
        loaded_at=loaded_at,
    )


def _candidate(user_id: str, profile: ProfileRow, prefs: PreferencesRow) -> Candidate:
    windows = tuple(
        TimeWindow(
            days=frozenset(WEEKDAYS[day] for day in window["days"]),
            start=time.fromisoformat(window["start"]),
            end=time.fromisoformat(window["end"]),
            tz=window["tz"],
        )
        for window in prefs.time_windows
    )
    age_range = (
        (prefs.age_min, prefs.age_max)
        if prefs.age_min is not None and prefs.age_max is not None
        else None
    )
    return Candidate(
        user_id=user_id,
        # "Professional only" keeps a user to professional encounters whatever their mode.
        mode="professional" if prefs.professional_only else _mode(profile.mode),
        interests=frozenset(profile.interests),
        activities=frozenset(profile.activities),
        latitude=0.0,
        longitude=0.0,
        time_windows=windows,
        birth_date=profile.birth_date,
        age_range=age_range,
    )


def _mode(value: str) -> Literal["social", "professional"]:
    return "professional" if value == "professional" else "social"


class MemberCache:
    """Members by id, loaded from SQL on a miss. Misses are loaded together: those asked for
    while a load runs wait for the next one, which takes them all in one transaction (a city's
    apps reconnecting at once meet a cold cache; one transaction each queued for seconds on
    the match service's one SQLite connection). A drop that lands while a load is reading
    wins: the load's (possibly stale) result is then not kept."""

    def __init__(self, db: Database, tables: DiscoveryTables, ctx: ServiceContext) -> None:
        self._db = db
        self._tables = tables
        self._ctx = ctx
        self._members: dict[str, Member] = {}
        self._drops: dict[str, int] = {}
        self._wanted: dict[str, asyncio.Future[Member]] = {}
        self._loader: asyncio.Task[None] | None = None

    async def get(self, user_id: str) -> Member:
        return (await self.get_many((user_id,)))[0]

    async def get_many(self, user_ids: Iterable[str]) -> list[Member]:
        now = self._ctx.clock.timestamp()
        found: list[Member | asyncio.Future[Member]] = []
        for user_id in user_ids:
            member = self._members.get(user_id)
            if member is not None and now - member.loaded_at < MEMBER_CACHE_TTL_S:
                found.append(member)
            else:
                found.append(self._want(user_id))
        # Shielded: one caller giving up must not cancel the load for the others waiting.
        return [m if isinstance(m, Member) else await asyncio.shield(m) for m in found]

    def _want(self, user_id: str) -> asyncio.Future[Member]:
        waiting = self._wanted.get(user_id)
        if waiting is None:
            waiting = self._wanted[user_id] = asyncio.get_running_loop().create_future()
            if self._loader is None:
                self._loader = asyncio.create_task(self._load_wanted(), name="match-members")
        return waiting

    async def _load_wanted(self) -> None:
        try:
            while self._wanted:
                batch = dict(itertools.islice(self._wanted.items(), MEMBER_LOAD_BATCH))
                for user_id in batch:
                    del self._wanted[user_id]
                await self._load(batch)
        finally:
            self._loader = None
            if self._wanted:  # cancelled (the service stops): nobody will load these
                for waiting in self._wanted.values():
                    waiting.cancel()
                self._wanted.clear()

    async def _load(self, batch: dict[str, asyncio.Future[Member]]) -> None:
        now = self._ctx.clock.timestamp()
        drops = {user_id: self._drops.get(user_id, 0) for user_id in batch}
        try:
            async with self._db.unit_of_work("match.member") as uow:
                rows = await self._tables.members(uow, batch.keys())
        except asyncio.CancelledError:
            for waiting in batch.values():
                waiting.cancel()
            raise
        except Exception as exc:  # each waiter gets the error; the next miss tries again
            for waiting in batch.values():
                waiting.set_exception(exc)
            return
        for user_id, waiting in batch.items():
            member = build_member(user_id, rows[user_id], self._ctx.cipher, now)
            if self._drops.get(user_id, 0) == drops[user_id]:
                self._members[user_id] = member
            if not waiting.done():
                waiting.set_result(member)

    def drop(self, user_id: str) -> None:
        self._members.pop(user_id, None)
        self._drops[user_id] = self._drops.get(user_id, 0) + 1

    def prune(self) -> None:
        now = self._ctx.clock.timestamp()
        stale = [u for u, m in self._members.items() if now - m.loaded_at >= MEMBER_CACHE_TTL_S]
        for user_id in stale:
            del self._members[user_id]
        # Drop counters are never reset: clearing one while a load was in flight let that load
        # keep what it read before the drop (an int per user who ever changed is cheap).

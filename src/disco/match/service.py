"""Discovery: who is discoverable, where (in presence only), and who is told about whom.

The hot path is ``ingest`` (one call per location update, ~1,000/s): it reads the user's
matching state from an in-memory cache, asks presence for the pairs that just met, and opens a
database transaction only when one of them is to be announced. The cache is filled from the
projection of ``users.*`` events and dropped, in every match process, on
``match.candidate.changed`` (published after each change commits), with a TTL as a safety net.
Blocks are the exception: they are absolute, so they are read from SQL at the moment of telling.

Locations never leave this module but for the presence index: not to SQL, a log line or an
event (DESIGN.md section 6).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from disco.contracts.events.base import Event
from disco.contracts.events.match import CandidateChanged, DiscoveryChanged, NearbyDetected
from disco.contracts.events.realtime import RealtimePushed
from disco.contracts.events.users import (
    BlockAdded,
    BlockRemoved,
    PreferencesUpdated,
    PrivacyZoneAdded,
    PrivacyZoneArea,
    PrivacyZoneRemoved,
    ProfileUpdated,
)
from disco.match.engine.geo import haversine_m
from disco.match.engine.rules import (
    Block,
    Candidate,
    PrivacyZone,
    TimeWindow,
    compatible,
    eligible,
    score,
    shared,
)
from disco.match.presence import Presence
from disco.match.repository import (
    DiscoveryTables,
    MemberRows,
    PreferencesRow,
    ProfileRow,
)
from disco.match.schemas import (
    DiscoveryIn,
    DiscoveryState,
    LocationAck,
    LocationIn,
    NearbyList,
    NearbyPerson,
)
from disco.platform.context import ServiceContext
from disco.platform.db import Database, UnitOfWork
from disco.platform.errors import Conflict, RateLimited, ValidationFailed
from disco.platform.security import FieldCipher

__all__ = ["Announcement", "Announcements", "DiscoveryService", "Member", "MemberCache"]

log = logging.getLogger(__name__)

# Discovery may be switched on for at most this long ahead; the app asks again after.
MAX_DISCOVERY_SPAN = timedelta(hours=24)
# A device clock this far ahead of ours is wrong, not early: its fix is refused.
MAX_CLOCK_SKEW_S = 30.0
# GPS fixes wander by tens of metres while standing still; two fixes seconds apart must not
# read as a sprint.
GPS_JITTER_M = 50.0
# How long a cached member is trusted without an invalidation (lost events, a missed broadcast).
# Every change invalidates at once; this only bounds how long a lost invalidation could last.
MEMBER_CACHE_TTL_S = 600.0
# Announcements made meanwhile are written in one transaction (a group commit): under a city's
# load, one transaction per encounter queued on the database for seconds.
ANNOUNCE_BATCH_WAIT_S = 0.005
MAX_INDEX_RADIUS_M = 1609.0
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
    """Members by id, loaded from SQL on a miss. A drop that lands while a load is reading
    wins: the load's (possibly stale) result is then not kept."""

    def __init__(self, db: Database, tables: DiscoveryTables, ctx: ServiceContext) -> None:
        self._db = db
        self._tables = tables
        self._ctx = ctx
        self._members: dict[str, Member] = {}
        self._drops: dict[str, int] = {}

    async def get(self, user_id: str) -> Member:
        now = self._ctx.clock.timestamp()
        member = self._members.get(user_id)
        if member is not None and now - member.loaded_at < MEMBER_CACHE_TTL_S:
            return member
        drops = self._drops.get(user_id, 0)
        async with self._db.unit_of_work("match.member") as uow:
            rows = await self._tables.member(uow, user_id)
        member = build_member(user_id, rows, self._ctx.cipher, now)
        if self._drops.get(user_id, 0) == drops:
            self._members[user_id] = member
        return member

    async def get_many(self, user_ids: Iterable[str]) -> list[Member]:
        return list(await asyncio.gather(*(self.get(user_id) for user_id in user_ids)))

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


@dataclass(frozen=True, slots=True)
class Announcement:
    """A pair to tell about each other: the two frames and the stored event."""

    events: tuple[Event, ...]
    pair: tuple[str, str]
    at: datetime


class Announcements:
    """Writes announcements in batches: everything queued within ``ANNOUNCE_BATCH_WAIT_S`` of
    the first goes out in one transaction (outbox rows and encounter rows together).

    A batch that fails to commit stays queued and is tried again; one lost with its process
    is lost (the presence index had already counted the encounter), a window of milliseconds.
    """

    def __init__(self, db: Database, tables: DiscoveryTables) -> None:
        self._db = db
        self._tables = tables
        self._pending: list[Announcement] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(self, announcement: Announcement) -> None:
        self._pending.append(announcement)
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="match-announcements")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            async with self._db.unit_of_work("match.announce") as uow:
                for announcement in batch:
                    for event in announcement.events:
                        await uow.publish(event)
                await self._tables.record_encounters(uow, ((*a.pair, a.at) for a in batch))
        except BaseException:
            self._pending = batch + self._pending
            raise

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(ANNOUNCE_BATCH_WAIT_S)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("writing announcements failed; retrying")
                await asyncio.sleep(1.0)
                self._wake.set()


class DiscoveryService:
    def __init__(self, ctx: ServiceContext, db: Database, presence: Presence) -> None:
        self._ctx = ctx
        self._settings = ctx.settings
        self._db = db
        self._presence = presence
        self._tables = DiscoveryTables(is_sqlite=db.is_sqlite)
        self.members = MemberCache(db, self._tables, ctx)
        self.announcements = Announcements(db, self._tables)

    # --- discovery mode -------------------------------------------------------------------------
    async def discovery(self, uow: UnitOfWork, user_id: str) -> DiscoveryState:
        row = await self._tables.discovery(uow, user_id)
        now = self._ctx.clock.now()
        if row is None or not row.enabled or (row.until is not None and row.until <= now):
            return DiscoveryState(enabled=False, until=None)
        return DiscoveryState(enabled=True, until=row.until)

    async def set_discovery(
        self, uow: UnitOfWork, user_id: str, body: DiscoveryIn
    ) -> DiscoveryState:
        now = self._ctx.clock.now()
        if body.until is not None:
            if not body.enabled:
                raise ValidationFailed(
                    '"until" only goes with "enabled": true.', details=[{"field": "until"}]
                )
            if not now < body.until <= now + MAX_DISCOVERY_SPAN:
                raise ValidationFailed(
                    '"until" must be in the next 24 hours.', details=[{"field": "until"}]
                )
        await self._tables.set_discovery(uow, user_id, body.enabled, body.until, now)
        await uow.publish(DiscoveryChanged(user_id=user_id, enabled=body.enabled, until=body.until))
        await self._changed(uow, user_id, leaves_presence=not body.enabled)
        return DiscoveryState(enabled=body.enabled, until=body.until)

    # --- location ingest (the hot path) ---------------------------------------------------------
    async def ingest(self, user_id: str, fix: LocationIn) -> LocationAck:
        """Opens a transaction only to announce: most updates touch memory/Redis alone."""
        now = self._ctx.clock.now()
        now_s = now.timestamp()
        await self._count_update(user_id)
        if fix.timestamp is not None and fix.timestamp.timestamp() > now_s + MAX_CLOCK_SKEW_S:
            raise ValidationFailed(
                '"timestamp" is in the future; check the device clock.',
                details=[{"field": "timestamp"}],
            )
        member = await self.members.get(user_id)
        if not member.discovering(now):
            await self._presence.remove(user_id, now_s)
            raise Conflict("Discovery mode is off; switch it on with PUT /v1/discovery.")
        if member.candidate is None:
            return LocationAck(accepted=False, reason="profile_pending")
        if fix.accuracy is not None and fix.accuracy > self._settings.location_max_accuracy_meters:
            return LocationAck(accepted=False, reason="inaccurate")
        at = min(fix.timestamp.timestamp(), now_s) if fix.timestamp is not None else now_s
        if at <= now_s - self._settings.presence_ttl_seconds:
            return LocationAck(accepted=False, reason="stale")
        last = await self._presence.last_fix(user_id)
        if last is not None:
            if at < last.at:
                return LocationAck(accepted=False, reason="stale")
            moved = haversine_m(last.latitude, last.longitude, fix.latitude, fix.longitude)
            if moved > self._settings.location_max_speed_mps * (at - last.at) + GPS_JITTER_M:
                return LocationAck(accepted=False, reason="implausible")
        hidden = member.hidden_at(fix.latitude, fix.longitude, now)
        if hidden is not None:
            await self._presence.remove(user_id, now_s)
            return LocationAck(accepted=False, reason=hidden)
        met = await self._presence.move(user_id, fix.latitude, fix.longitude, member.radius_m, at)
        if met:
            await self._announce(member, met, now)
        return LocationAck(accepted=True)

    async def _count_update(self, user_id: str) -> None:
        limit = self._settings.location_updates_per_minute
        count, reset = await self._ctx.kv.hit(f"match:location:{user_id}", 60)
        if count > limit:
            raise RateLimited(
                f"At most {limit} location updates a minute.",
                headers={"Retry-After": str(max(1, math.ceil(reset)))},
            )

    async def _announce(self, mover: Member, met: list[str], now: datetime) -> None:
        """Queue, for the next group commit, a frame to each side of every eligible pair."""
        for partner in await self.members.get_many(met):
            if not self._may_meet(mover, partner, now):
                continue
            seen = await self._presence.bucket(mover.user_id, partner.user_id)
            seen_back = await self._presence.bucket(partner.user_id, mover.user_id)
            if seen is None or seen_back is None:  # one of them left meanwhile
                continue
            assert mover.candidate is not None and partner.candidate is not None
            common = shared(mover.candidate, partner.candidate)
            events = (
                _nearby_frame(mover.user_id, partner, common, seen.label),
                _nearby_frame(partner.user_id, mover, common, seen_back.label),
                NearbyDetected(
                    user_id=mover.user_id,
                    other_user_id=partner.user_id,
                    distance=seen.label,
                    other_distance=seen_back.label,
                ),
            )
            self.announcements.add(Announcement(events, (mover.user_id, partner.user_id), now))

    @staticmethod
    def _may_meet(a: Member, b: Member, now: datetime) -> bool:
        """Everything matching asks of a pair, blocks included, from the cache."""
        return (
            a.candidate is not None
            and b.candidate is not None
            and b.discovering(now)
            and compatible(a.candidate, b.candidate)
            and eligible(a.candidate, b.candidate, now=now, blocks=a.blocks + b.blocks)
        )

    # --- the nearby list ------------------------------------------------------------------------
    async def nearby(self, user_id: str) -> NearbyList:
        now = self._ctx.clock.now()
        me = await self.members.get(user_id)
        if not me.discovering(now) or me.candidate is None:
            return NearbyList(nearby=[])
        sightings = {s.user_id: s.bucket for s in await self._presence.nearby(user_id)}
        others = [o for o in await self.members.get_many(sightings) if self._may_meet(me, o, now)]
        listed = [
            (sightings[other.user_id], score(me.candidate, other.candidate), other)
            for other in others
            if other.candidate is not None
        ]
        # Within a bucket, by fit then id: never by true distance, which would leak it.
        listed.sort(key=lambda item: (item[0].max_m, -item[1], item[2].user_id))
        return NearbyList(
            nearby=[
                NearbyPerson(
                    user_id=other.user_id,
                    name=other.name,
                    shared_interests=shared(me.candidate, other.candidate),
                    distance=bucket.label,
                )
                for bucket, _, other in listed
                if other.candidate is not None
            ]
        )

    # --- background sweep -----------------------------------------------------------------------
    async def sweep(self) -> None:
        """Silent users leave presence; discovery whose end time passed is switched off."""
        now = self._ctx.clock.now()
        await self._presence.expire(now.timestamp())
        async with self._db.unit_of_work("match.sweep") as uow:
            for user_id in await self._tables.switch_off_ended(uow, now):
                await uow.publish(DiscoveryChanged(user_id=user_id, enabled=False))
                await self._changed(uow, user_id, leaves_presence=True)
        self.members.prune()

    # --- the users projection -------------------------------------------------------------------
    async def apply_profile(self, uow: UnitOfWork, event: ProfileUpdated, as_of: datetime) -> None:
        profile = ProfileRow(
            first_name=event.first_name,
            interests=list(event.interests),
            activities=list(event.activities),
            mode=event.mode,
            birth_date=event.birth_date,
        )
        await self._tables.put_profile(uow, event.user_id, profile, as_of)
        await self._changed(uow, event.user_id)

    async def apply_preferences(
        self, uow: UnitOfWork, event: PreferencesUpdated, as_of: datetime
    ) -> None:
        prefs = PreferencesRow(
            radius_meters=event.discovery_radius_meters,
            time_windows=[w.model_dump() for w in event.time_windows],
            age_min=event.age_range.min if event.age_range else None,
            age_max=event.age_range.max if event.age_range else None,
            professional_only=event.professional_only,
        )
        await self._tables.put_preferences(uow, event.user_id, prefs, as_of)
        await self._changed(uow, event.user_id)

    async def apply_zone_added(self, uow: UnitOfWork, event: PrivacyZoneAdded) -> None:
        await self._tables.add_zone(
            uow, event.user_id, event.zone_id, event.sealed_area, event.expires_at
        )
        # Out of presence until the next fix, which is checked against the new zone: someone
        # who adds a zone where they stand must not be announced from their last fix.
        await self._changed(uow, event.user_id, leaves_presence=True)

    async def apply_zone_removed(self, uow: UnitOfWork, event: PrivacyZoneRemoved) -> None:
        await self._tables.remove_zone(uow, event.user_id, event.zone_id)
        await self._changed(uow, event.user_id)

    async def apply_block_added(self, uow: UnitOfWork, event: BlockAdded) -> None:
        await self._tables.add_block(uow, event.user_id, event.blocked_user_id, event.until)
        await self._changed(uow, event.user_id)  # both cached members carry the block
        await self._changed(uow, event.blocked_user_id)

    async def apply_block_removed(self, uow: UnitOfWork, event: BlockRemoved) -> None:
        await self._tables.remove_block(uow, event.user_id, event.blocked_user_id)
        await self._changed(uow, event.user_id)
        await self._changed(uow, event.blocked_user_id)

    async def apply_deactivated(self, uow: UnitOfWork, user_id: str, since: datetime) -> None:
        await self._tables.set_deactivated(uow, user_id, since)
        await self._changed(uow, user_id, leaves_presence=True)

    async def apply_reactivated(self, uow: UnitOfWork, user_id: str) -> None:
        await self._tables.clear_deactivated(uow, user_id)
        await self._changed(uow, user_id)

    async def apply_deleted(self, uow: UnitOfWork, user_id: str) -> None:
        await self._tables.erase(uow, user_id)
        await self._changed(uow, user_id, leaves_presence=True)

    async def _changed(
        self, uow: UnitOfWork, user_id: str, *, leaves_presence: bool = False
    ) -> None:
        """Tell every match process to drop its copy, once the change is committed; this one
        drops it at once (its next request must not wait for the bus)."""
        await uow.publish(CandidateChanged(user_id=user_id))

        async def committed() -> None:
            self.members.drop(user_id)
            if leaves_presence:
                await self._presence.remove(user_id, self._ctx.clock.timestamp())

        uow.after_commit(committed)


def _nearby_frame(to: str, about: Member, common: list[str], distance: str) -> RealtimePushed:
    return RealtimePushed(
        user_ids=[to],
        frame_type="nearby",
        data={
            "userId": about.user_id,
            "name": about.name,
            "sharedInterests": common,
            "distance": distance,
        },
    )

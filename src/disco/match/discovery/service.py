"""Discovery: who is discoverable, where (in presence only), and who is told about whom.

The hot path is ``ingest`` (one call per location update, ~1,000/s): it reads the user's
matching state from an in-memory cache (``members.py``), checks the fix against the last one
presence remembers (``placement.py``), asks presence for the pairs that just met, and opens a
database transaction only when one of them is to be announced (``announce.py``). Blocks
travel with the cached members, and a block drops both sides' copies in every process once
it commits.

Everything other users are shown comes from **shown** positions (DESIGN.md section 6): each
fix is displaced by the user's secret offset of the day and snapped before presence ever sees
it, so membership in the nearby list, its order, the buckets and the ``nearby`` notifications
are all functions of two shown positions, the same both ways. Locations never leave this
package but for presence: not to SQL, a log line or an event.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from disco.contracts.events.match import DiscoveryChanged
from disco.match.discovery.announce import Announcement, Announcements, nearby_frame
from disco.match.discovery.members import Member, MemberCache
from disco.match.discovery.moves import Moves
from disco.match.discovery.placement import Placed, Placement
from disco.match.discovery.projection import UsersProjection
from disco.match.discovery.repository import DiscoveryTables
from disco.match.discovery.schemas import (
    DiscoveryIn,
    DiscoveryState,
    LocationAck,
    LocationIn,
    NearbyList,
    NearbyPerson,
)
from disco.match.engine.geo import Displacement
from disco.match.engine.rules import compatible, eligible, score, shared
from disco.match.presence import Presence
from disco.platform.context import ServiceContext
from disco.platform.db import Database, UnitOfWork
from disco.platform.errors import Conflict, RateLimited, ValidationFailed
from disco.platform.observability import LOCATION_FIXES
from disco.platform.outages import is_backend_outage

__all__ = ["DiscoveryService"]

log = logging.getLogger(__name__)

# Discovery may be switched on for at most this long ahead; the app asks again after.
MAX_DISCOVERY_SPAN = timedelta(hours=24)
# A device clock this far ahead of ours is wrong, not early: its fix is refused.
MAX_CLOCK_SKEW_S = 30.0
# Discovery switches are counted in windows of the (injected) clock this long.
SWITCH_WINDOW_S = 3600
# "Told" marks read in one call at start (retell_lost).
_MARKS_PER_READ = 1000


def _told_key(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"match:told:{first}:{second}"


def _told_at(mark: str | None) -> datetime | None:
    """When a "told" mark says the pair was told. Marks from before they said when ("1")
    say nothing: such a pair is taken as told."""
    if mark is None:
        return None
    try:
        return datetime.fromisoformat(mark)
    except ValueError:
        return None


class DiscoveryService:
    def __init__(
        self, ctx: ServiceContext, db: Database, presence: Presence, displacement: Displacement
    ) -> None:
        self._ctx = ctx
        self._settings = ctx.settings
        self._db = db
        self._presence = presence
        self._tables = DiscoveryTables(is_sqlite=db.is_sqlite)
        self._moves = Moves(
            presence,
            Placement(
                displacement,
                max_speed_mps=self._settings.location_max_speed_mps,
                max_age_s=self._settings.presence_ttl_seconds,
            ),
        )
        self.members = MemberCache(db, self._tables, ctx)
        self.announcements = Announcements(db, self._tables)
        self.projection = UsersProjection(self._tables, self.members, presence, ctx.clock)
        # How long a pair's "told" mark lasts: an encounter plus its cool-down.
        self._told_s = self._settings.presence_ttl_seconds + self._settings.nearby_cooldown_seconds
        # Users whose update failed after presence may have counted an encounter, with whom (None:
        # unknown, so every untold pair of theirs in range): retell_owed.
        self._owed: dict[str, set[str] | None] = {}

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
        await self._count_switch(user_id, now.timestamp())
        await self._tables.set_discovery(uow, user_id, body.enabled, body.until, now)
        await uow.publish(DiscoveryChanged(user_id=user_id, enabled=body.enabled, until=body.until))
        await self.projection.changed(uow, user_id, leaves_presence=not body.enabled)
        return DiscoveryState(enabled=body.enabled, until=body.until)

    async def _count_switch(self, user_id: str, now_s: float) -> None:
        """At most ``discovery_switches_per_hour`` a clock hour. Switching off and on once let a
        probe teleport; it no longer does (presence remembers the last fix), and this keeps
        anyone from churning the projection and everyone's lists with it."""
        limit = self._settings.discovery_switches_per_hour
        window = math.floor(now_s / SWITCH_WINDOW_S)
        count, _ = await self._ctx.kv.hit(f"match:switch:{user_id}:{window}", SWITCH_WINDOW_S)
        if count > limit:
            retry_after = max(1, math.ceil((window + 1) * SWITCH_WINDOW_S - now_s))
            raise RateLimited(
                f"Discovery was switched on or off {limit} times this hour; "
                f"try again in {math.ceil(retry_after / 60)} minutes.",
                headers={"Retry-After": str(retry_after)},
            )

    # --- location ingest (the hot path) ---------------------------------------------------------
    async def ingest(self, user_id: str, fix: LocationIn) -> LocationAck:
        """Opens a transaction only to announce: most updates touch memory/Redis alone."""
        ack = await self._ingest(user_id, fix)
        LOCATION_FIXES.labels(ack.reason or "accepted").inc()
        return ack

    async def _ingest(self, user_id: str, fix: LocationIn) -> LocationAck:
        now = self._ctx.clock.now()
        now_s = now.timestamp()
        await self._count_update(user_id)
        taken_at = now_s
        if fix.timestamp is not None:
            taken_at = fix.timestamp.timestamp()
            if taken_at > now_s + MAX_CLOCK_SKEW_S:
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
        taken_at = min(taken_at, now_s)
        placed, last = await self._moves.checked(user_id, fix, taken_at, now_s, recalled=True)
        if not isinstance(placed, Placed):
            return LocationAck(accepted=False, reason=placed)
        hidden = member.hidden_at(fix.latitude, fix.longitude, now)  # zones: where they really are
        if hidden is not None:
            await self._presence.remove(user_id, now_s)
            return LocationAck(accepted=False, reason=hidden)
        met: list[str] | None = None
        try:
            moved = await self._moves.move(member, fix, taken_at, now_s, placed, last)
            if isinstance(moved, str):
                return LocationAck(accepted=False, reason=moved)
            met = moved
            if met:
                await self._announce(member, met, now)
        except Exception as exc:
            # Presence may have counted encounters that were not announced (the move ran and
            # its answer was lost, or the announcing failed part way): no later fix would tell
            # those pairs until they part and meet again, so ``retell_owed`` tells them.
            if is_backend_outage(exc):
                self._owe(user_id, met)
            raise
        return LocationAck(accepted=True)

    async def _count_update(self, user_id: str) -> None:
        limit = self._settings.location_updates_per_minute
        count, reset = await self._ctx.kv.hit(f"match:location:{user_id}", 60)
        if count > limit:
            raise RateLimited(
                f"At most {limit} location updates a minute.",
                headers={"Retry-After": str(max(1, math.ceil(reset)))},
            )

    async def _announce(
        self, mover: Member, met: list[str], now: datetime, *, untold_only: bool = False
    ) -> None:
        """Queue, for the next group commit, a frame to each side of every eligible pair: both
        are told, with the one bucket between their shown positions. ``untold_only``: a pair
        whose "told" mark someone else wrote meanwhile is skipped (two retellings at once)."""
        for partner in await self.members.get_many(met):
            if not self._may_meet(mover, partner, now):
                continue
            seen = await self._presence.bucket(mover.user_id, partner.user_id)
            if seen is None:  # one of them left meanwhile
                continue
            assert mover.candidate is not None and partner.candidate is not None
            common = shared(mover.candidate, partner.candidate)
            frames = (
                nearby_frame(mover.user_id, partner, common, seen.label),
                nearby_frame(partner.user_id, mover, common, seen.label),
            )
            # When they were told: the encounter row written with the frames says the same once
            # it commits, and a mark without it is an announcement lost (``retell_lost``). So
            # the mark comes first: every announcement that can be lost has one.
            marked = await self._ctx.kv.set(
                _told_key(mover.user_id, partner.user_id),
                now.isoformat(),
                ttl=self._told_s,
                only_new=untold_only,
            )
            if not marked:
                continue
            self.announcements.add(Announcement(frames, (mover.user_id, partner.user_id), now))

    async def reconsider(self, user_id: str) -> None:
        """After a change to what matching reads of the user (interests, radius, age range; a
        profile that arrives after the first fix): a pair already in range that now fits is
        told at once, not only once they part and meet again. A pair told during this
        encounter is not told twice."""
        self.members.drop(user_id)  # read what was just committed, not this process's cache
        await self._tell_untold(user_id)

    def _owe(self, user_id: str, partners: list[str] | None) -> None:
        """Owe the user a retelling: of the pairs with ``partners`` (whom the move said they
        met), or of all their pairs in range when whom they met is unknown (None)."""
        owed = self._owed.get(user_id, set())
        self._owed[user_id] = None if partners is None or owed is None else owed | set(partners)

    async def retell_owed(self) -> None:
        """Tell the pairs an update that failed after reaching presence left untold (a backend
        outage mid-update): each owed pair in range that fits and carries no "told" mark.
        Repeated by the service host; while the backend is still out, the next round tries
        again, quietly."""
        for user_id, partners in list(self._owed.items()):
            try:
                await self._tell_untold(user_id, among=partners)
            except Exception as exc:
                if is_backend_outage(exc):
                    return
                log.exception("retelling an owed user's pairs failed; they are not owed again")
            self._owed.pop(user_id, None)

    async def _tell_untold(self, user_id: str, *, among: set[str] | None = None) -> None:
        """Announce the user's pairs in range now (``among`` these partners, if given) that fit
        and were not told this encounter. A pair whose mark the encounter outlived (longer
        than ``presence_ttl_seconds`` plus the cool-down) reads as untold, and is told again."""
        if not await self._presence.present(user_id):
            return  # nobody is in range of someone not placed (a new account, say): no read
        now = self._ctx.clock.now()
        me = await self.members.get(user_id)
        if not me.discovering(now) or me.candidate is None:
            return
        around = [
            sighting.user_id
            for sighting in await self._presence.nearby(user_id)
            if among is None or sighting.user_id in among
        ]
        told = await self._ctx.kv.get_many([_told_key(user_id, other) for other in around])
        fresh = [other for other, mark in zip(around, told, strict=True) if mark is None]
        if fresh:
            await self._announce(me, fresh, now, untold_only=True)

    async def retell_lost(self) -> None:
        """At start: tell the pairs whose announcement a process took with it when it died
        waiting for the group commit. Presence had counted their encounter, so no later fix
        would tell them until they parted and met again. Such a pair is in range with a "told"
        mark, and no encounter row as recent as the mark."""
        marked = await self._told_pairs_in_range()
        if not marked:
            return
        async with self._db.unit_of_work("match.retell") as uow:
            written = await self._tables.encounters(uow, marked)
        lost = [pair for pair, at in marked.items() if pair not in written or written[pair] < at]
        now = self._ctx.clock.now()
        for first, second in lost:
            await self._announce(await self.members.get(first), [second], now)
        if lost:
            log.warning("told %d pairs whose announcement was lost with a process", len(lost))

    async def _told_pairs_in_range(self) -> dict[tuple[str, str], datetime]:
        """Every pair in range now (smaller id first) whose "told" mark says when."""
        pairs: set[tuple[str, str]] = set()
        for user_id in await self._presence.everyone():
            for sighting in await self._presence.nearby(user_id):
                low, high = sorted((user_id, sighting.user_id))
                pairs.add((low, high))
        ordered = sorted(pairs)
        marked: dict[tuple[str, str], datetime] = {}
        for first in range(0, len(ordered), _MARKS_PER_READ):
            chunk = ordered[first : first + _MARKS_PER_READ]
            marks = await self._ctx.kv.get_many([_told_key(*pair) for pair in chunk])
            for pair, mark in zip(chunk, marks, strict=True):
                at = _told_at(mark)
                if at is not None:
                    marked[pair] = at
        return marked

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
        # Within a bucket, by fit then id: never by distance, which would leak it.
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
                await self.projection.changed(uow, user_id, leaves_presence=True)
        self.members.prune()

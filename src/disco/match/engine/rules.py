"""Who may be introduced to whom: the eligibility predicate and the compatibility score.

Pure functions over small frozen values, so the match service can feed them from its own
projection of ``users.*`` events and test them without a database.

**Compatibility score** (deterministic, in [0, 1]):

    score = 0.7 * overlap(interests) + 0.3 * overlap(activities)
    overlap(A, B) = |A & B| / min(|A|, |B|)      (0 when either set is empty)

The overlap coefficient, not Jaccard: someone who lists three interests, all shared, is a
perfect fit for someone who lists thirty; Jaccard would call that 0.1. Interests weigh more than
activities because they are chosen freely; activities come from a short fixed list. A pair is
*compatible* when it shares at least one interest or activity and the score reaches the
threshold (``MIN_SCORE`` by default).

**Eligibility** (all must hold, at the moment ``now``):

- the same mode (social or professional);
- neither has blocked the other (blocks are absolute while they last);
- each is inside one of their own time windows (no windows: any time), so they share one now;
- each is outside every active privacy zone of their own (discovery is off there, silently);
- each fits the other's age range, when one is set and the age is known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from disco.match.engine.geo import haversine_m

__all__ = [
    "ACTIVITY_WEIGHT",
    "INTEREST_WEIGHT",
    "MIN_SCORE",
    "Block",
    "Candidate",
    "PrivacyZone",
    "TimeWindow",
    "compatible",
    "eligible",
    "score",
    "shared",
]

Mode = Literal["social", "professional"]
INTEREST_WEIGHT = 0.7
ACTIVITY_WEIGHT = 0.3
MIN_SCORE = 0.2


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Local wall-clock times in ``tz``; ``end`` at or before ``start`` runs past midnight.

    ``days`` are ISO weekday numbers (1 = Monday) on which the window *starts*.
    """

    days: frozenset[int]
    start: time
    end: time
    tz: str

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.tz))
        clock = local.time().replace(tzinfo=None)
        today = local.isoweekday()
        if self.start < self.end:
            return today in self.days and self.start <= clock < self.end
        yesterday = (local.date() - timedelta(days=1)).isoweekday()
        return (today in self.days and clock >= self.start) or (
            yesterday in self.days and clock < self.end
        )


@dataclass(frozen=True, slots=True)
class PrivacyZone:
    latitude: float
    longitude: float
    radius_m: float
    expires_at: datetime | None = None

    def hides(self, latitude: float, longitude: float, now: datetime) -> bool:
        if self.expires_at is not None and self.expires_at <= now:
            return False
        return haversine_m(self.latitude, self.longitude, latitude, longitude) <= self.radius_m


@dataclass(frozen=True, slots=True)
class Block:
    blocker: str
    blocked: str
    until: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True, slots=True)
class Candidate:
    """What matching knows about one user at one moment."""

    user_id: str
    mode: Mode
    interests: frozenset[str]
    activities: frozenset[str]
    latitude: float
    longitude: float
    time_windows: tuple[TimeWindow, ...] = ()
    privacy_zones: tuple[PrivacyZone, ...] = ()
    birth_date: date | None = None
    age_range: tuple[int, int] | None = None

    def available(self, now: datetime) -> bool:
        in_window = not self.time_windows or any(w.contains(now) for w in self.time_windows)
        hidden = any(z.hides(self.latitude, self.longitude, now) for z in self.privacy_zones)
        return in_window and not hidden

    def accepts_age_of(self, other: Candidate, today: date) -> bool:
        if self.age_range is None or other.birth_date is None:
            return True
        born = other.birth_date
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        return self.age_range[0] <= age <= self.age_range[1]


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def score(a: Candidate, b: Candidate) -> float:
    return INTEREST_WEIGHT * _overlap(a.interests, b.interests) + ACTIVITY_WEIGHT * _overlap(
        a.activities, b.activities
    )


def shared(a: Candidate, b: Candidate) -> list[str]:
    """Shared interests then shared activities, each sorted: what both may be shown."""
    interests = a.interests & b.interests
    return sorted(interests) + sorted((a.activities & b.activities) - interests)


def compatible(a: Candidate, b: Candidate, min_score: float = MIN_SCORE) -> bool:
    common = (a.interests & b.interests) or (a.activities & b.activities)
    return bool(common) and score(a, b) >= min_score


def eligible(a: Candidate, b: Candidate, *, now: datetime, blocks: Iterable[Block] = ()) -> bool:
    """May these two be introduced right now? (Range is the presence index's business.)"""
    if a.user_id == b.user_id or a.mode != b.mode:
        return False
    pair = {a.user_id, b.user_id}
    if any({blk.blocker, blk.blocked} == pair and blk.active(now) for blk in blocks):
        return False
    today = now.date()
    return (
        a.available(now)
        and b.available(now)
        and a.accepts_age_of(b, today)
        and b.accepts_age_of(a, today)
    )

"""Where a location fix puts its user for everyone else, and whether it may (pure rules).

A fix is used only if it is plausible after the user's last accepted one, which presence
remembers (as a shown position and times) even while discovery is off, so switching discovery
off and on resets nothing:

- **stale**: the device says it was taken more than the presence TTL ago, or before the last
  accepted fix was (out of order). The device's clock may make a fix older, never newer: a
  time ahead of the server is refused before this (422);
- **implausible**: it moved faster than ``location_max_speed_mps`` since the last accepted fix,
  timed by the **server's** clock (when each fix arrived). A backdated fix buys no travel time.
  A slack covers GPS jitter and snapping (both ends are snapped cells); it is spent by moves
  faster than the limit and refills in ``SLACK_REFILL_S``, so a stream of small jumps cannot
  add it up into a faster pace.

Distances are between the two fixes' shown positions, both displaced by the offset of the last
fix's day (the same offset cancels out): the true position is never kept to compare against.
The fix then places its user at its shown position for today.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from disco.match.engine.geo import Displacement, haversine_m
from disco.match.presence import Fix

__all__ = ["GPS_JITTER_M", "SLACK_REFILL_S", "Placed", "Placement", "Refusal"]

# GPS fixes wander by tens of metres while standing still; two fixes seconds apart must not
# read as a sprint.
GPS_JITTER_M = 50.0
# The slack, once spent, is back in full after this long.
SLACK_REFILL_S = 10.0

Refusal = Literal["stale", "implausible"]


@dataclass(frozen=True, slots=True)
class Placed:
    """A fix to use: the user's shown position now, and what to remember of it."""

    latitude: float
    longitude: float
    taken_at: float
    slack_m: float


class Placement:
    def __init__(
        self, displacement: Displacement, *, max_speed_mps: float, max_age_s: float
    ) -> None:
        self._displacement = displacement
        self._max_speed = max_speed_mps
        self._max_age = max_age_s
        # Both ends of a move are cell centres: up to a cell's diagonal more than the move.
        self.slack_m = GPS_JITTER_M + math.sqrt(2) * displacement.cell_m

    def place(
        self,
        user_id: str,
        latitude: float,
        longitude: float,
        taken_at: float,
        now: float,
        last: Fix | None,
    ) -> Placed | Refusal:
        """``taken_at`` is the device's time of the fix, already no later than ``now`` (the
        server's); ``last`` is the last accepted fix, if presence still remembers one."""
        if taken_at <= now - self._max_age:
            return "stale"
        shown = self._displacement.shown(user_id, latitude, longitude, now)
        slack = self.slack_m
        if last is not None:
            if taken_at < last.taken_at:
                return "stale"
            elapsed = max(0.0, now - last.at)
            slack = min(self.slack_m, last.slack_m + self.slack_m * elapsed / SLACK_REFILL_S)
            then = shown  # where the last fix's day would show it: today's offset, mostly
            if Displacement.day(last.at) != Displacement.day(now):
                then = self._displacement.shown(user_id, latitude, longitude, last.at)
            moved = haversine_m(last.latitude, last.longitude, *then)
            pace = self._max_speed * elapsed
            if moved > pace + slack:
                return "implausible"
            slack -= max(0.0, moved - pace)
        return Placed(shown[0], shown[1], taken_at, slack)

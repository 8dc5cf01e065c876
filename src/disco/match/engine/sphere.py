"""The presence index's geometry on the sphere: a grid that works anywhere on Earth.

There is no map projection, so there is no region and no origin: one process serves Berlin,
Fiji and Svalbard at once, across the antimeridian and up to the poles.

- **Distances** are chords between points on the sphere in 3-D (metres, Earth-centred), so the
  hot loops compare squared lengths without calling a trigonometric function, and a pair gets
  one answer whichever of the two asks (the sum of the same three squares). A chord is a
  strictly increasing function of the great-circle distance: "within r metres" is
  ``chord^2 <= chord_m(r)^2``, exactly.
- **Cells** are latitude bands ``cell_m`` high, each cut into whole columns at least ``cell_m``
  wide (fewer near the poles; one at a pole), keyed (band, column).
- ``BandGrid.spans`` answers, for a spherical cap around a point, which columns of each band it
  touches and which lie wholly inside a smaller cap (and inside another, around where the user
  was before). Both are exact on the sphere, with a centimetre's margin on the safe side: a
  cap that does not contain a pole spans, at each latitude, an interval of longitude around
  its centre, widest at one latitude and narrowing either side of it; and a band-and-column
  cell's farthest point from the centre is one of its four corners. A cap that reaches a pole
  takes whole bands, every member tested.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from math import acos, asin, ceil, cos, degrees, floor, radians, sin

from disco.match.engine.geo import EARTH_RADIUS_M, METRES_PER_DEGREE_LAT

__all__ = ["BandGrid", "Span", "chord_m", "to_xyz"]

# Longitude margins of the spans (degrees): about a centimetre at the equator. Touched spans
# grow by it, whole ones shrink: rounding costs a member test at worst, never a wrong answer.
_MARGIN_DEG = 1e-7
_NONE = (0, -1)  # an empty range of columns

# (band, first column, last column, first whole column, last whole column, first column to
# skip, last column to skip, columns in band): columns unwrapped (the caller takes them modulo
# the band's count); "whole" inside the inner cap, "skip" inside both the inner and the old one.
Span = tuple[int, int, int, int, int, int, int, int]


def to_xyz(lat: float, lon: float) -> tuple[float, float, float]:
    """Earth-centred coordinates of a point of the sphere, metres."""
    phi, lam = radians(lat), radians(lon)
    c = EARTH_RADIUS_M * cos(phi)
    return c * cos(lam), c * sin(lam), EARTH_RADIUS_M * sin(phi)


def chord_m(arc_m: float) -> float:
    """The straight-line length of a great-circle arc of ``arc_m`` metres."""
    return 2 * EARTH_RADIUS_M * sin(min(arc_m, math.pi * EARTH_RADIUS_M) / (2 * EARTH_RADIUS_M))


class _Cap:
    """A spherical cap around (lat, lon) of ``arc_m``, with what the spans need of it."""

    __slots__ = ("cos_delta", "cos_phi", "lat", "lon", "north", "polar", "sin_phi", "south")

    def __init__(self, lat: float, lon: float, arc_m: float) -> None:
        self.lat, self.lon = lat, lon
        delta_deg = arc_m / METRES_PER_DEGREE_LAT
        self.south, self.north = lat - delta_deg, lat + delta_deg
        # Whether it reaches a pole (it then spans every longitude near it).
        self.polar = self.north >= 90.0 or self.south <= -90.0
        phi = radians(lat)
        self.sin_phi, self.cos_phi = sin(phi), cos(phi)
        self.cos_delta = cos(arc_m / EARTH_RADIUS_M)

    def half_width(self, sin_lat: float, cos_lat: float) -> float:
        """Half the cap's longitude span at a latitude (given by its sine and cosine), degrees;
        0 outside the cap."""
        arg = (self.cos_delta - self.sin_phi * sin_lat) / (self.cos_phi * cos_lat)
        if arg >= 1.0:
            return 0.0
        if arg <= -1.0:
            return 180.0
        return degrees(acos(arg))

    def widest(self) -> tuple[float, float]:
        """The latitude where the cap is widest, and its half-width there (degrees)."""
        sin_delta = math.sqrt(max(0.0, 1.0 - self.cos_delta * self.cos_delta))
        peak = degrees(asin(max(-1.0, min(1.0, self.sin_phi / self.cos_delta))))
        ratio = sin_delta / self.cos_phi
        return peak, degrees(asin(ratio)) if ratio < 1 else 180.0


class BandGrid:
    """Cells of about ``cell_m`` by ``cell_m``, anywhere on the sphere."""

    __slots__ = ("_bands", "bands", "cell_m", "height")

    def __init__(self, cell_m: float) -> None:
        self.cell_m = cell_m
        self.height = cell_m / METRES_PER_DEGREE_LAT  # degrees of latitude per band
        self.bands = ceil(180.0 / self.height)
        # band -> (columns, (south, north, sin south, cos south, sin north, cos north))
        self._bands: dict[int, tuple[int, tuple[float, float, float, float, float, float]]] = {}

    def band(self, lat: float) -> int:
        return min(self.bands - 1, max(0, floor((lat + 90.0) / self.height)))

    def _band(self, band: int) -> tuple[int, tuple[float, float, float, float, float, float]]:
        """How many columns the band has (as many whole ``cell_m`` as its poleward edge holds,
        so none is narrower than a cell), and its edges."""
        known = self._bands.get(band)
        if known is None:
            south = -90.0 + band * self.height
            north = min(90.0, south + self.height)
            s, n = radians(south), radians(north)
            cos_s, cos_n = max(0.0, cos(s)), max(0.0, cos(n))
            circumference = 360.0 * METRES_PER_DEGREE_LAT * min(cos_s, cos_n)
            columns = max(1, floor(circumference / self.cell_m))
            known = self._bands[band] = (columns, (south, north, sin(s), cos_s, sin(n), cos_n))
        return known

    def columns(self, band: int) -> int:
        return self._band(band)[0]

    def key(self, lat: float, lon: float) -> tuple[int, int]:
        band = self.band(lat)
        n = self._band(band)[0]
        return band, floor((lon + 180.0) * n / 360.0) % n

    def spans(
        self,
        lat: float,
        lon: float,
        reach_m: float,
        whole_m: float,
        old: tuple[float, float, float] | None = None,
    ) -> Iterator[Span]:
        """For each band the cap of ``reach_m`` around (lat, lon) touches: the columns it
        touches, those wholly inside the cap of ``whole_m`` (<= reach_m; none if <= 0), and
        those wholly inside both that one and the cap of ``old`` = (lat, lon, arc_m), unwrapped
        next to this one's (a cap across the antimeridian is a turn away)."""
        cap = _Cap(lat, lon, reach_m)
        first = self.band(max(-90.0, cap.south - _MARGIN_DEG))
        last = self.band(min(90.0, cap.north + _MARGIN_DEG))
        if cap.polar:
            for band in range(first, last + 1):
                n = self._band(band)[0]
                yield band, 0, n - 1, 0, -1, 0, -1, n
            return
        inner = _Cap(lat, lon, whole_m) if whole_m > 0 else None
        if inner is not None and inner.polar:
            inner = None
        before = _Cap(old[0], old[1], old[2]) if old is not None and old[2] > 0 else None
        if before is not None and before.polar:
            before = None
        turns = 0 if before is None else round((lon - before.lon) / 360.0)
        peak, peak_hw = cap.widest()
        # Half-widths at the current band's south edge (0 outside the cap), carried to the next
        # band, whose south edge is this one's north: each edge is computed once.
        south_hw = south_in = south_old = 0.0
        for band in range(first, last + 1):
            n, edges = self._band(band)
            south, north, sin_s, cos_s, sin_n, cos_n = edges
            if band == first:
                south_hw = _edge(cap, south, sin_s, cos_s)
                south_in = _edge(inner, south, sin_s, cos_s)
                south_old = _edge(before, south, sin_s, cos_s)
            # (_edge, inlined: this is the index's hottest loop)
            north_hw = cap.half_width(sin_n, cos_n) if north < cap.north else 0.0
            north_in = north_old = 0.0
            if inner is not None and inner.south < north < inner.north:
                north_in = inner.half_width(sin_n, cos_n)
            if before is not None and before.south < north < before.north:
                north_old = before.half_width(sin_n, cos_n)
            if max(south, cap.south) <= peak <= min(north, cap.north):
                hw = peak_hw + _MARGIN_DEG
            else:
                hw = max(south_hw, north_hw) + _MARGIN_DEG
            width = 360.0 / n
            j0, j1 = floor((lon - hw + 180.0) / width), floor((lon + hw + 180.0) / width)
            if j1 - j0 + 1 >= n:
                yield band, 0, n - 1, 0, -1, 0, -1, n
            else:
                # Whole: every corner inside, so both edges inside the cap (half-width > 0).
                w0, w1 = _whole(lon, min(south_in, north_in), width)
                k0, k1 = _NONE
                if w0 <= w1:
                    k0, k1 = _whole(before.lon if before else 0.0, min(south_old, north_old), width)
                    k0, k1 = max(w0, k0 + turns * n), min(w1, k1 + turns * n)
                yield band, j0, j1, w0, w1, k0, k1, n
            south_hw, south_in, south_old = north_hw, north_in, north_old


def _edge(cap: _Cap | None, lat: float, sin_lat: float, cos_lat: float) -> float:
    """The cap's half-width at a band edge strictly inside its latitudes, else 0."""
    if cap is None or not cap.south < lat < cap.north:
        return 0.0
    return cap.half_width(sin_lat, cos_lat)


def _whole(lon: float, hw: float, width: float) -> tuple[int, int]:
    """Columns whose both longitude edges lie within ``hw`` of ``lon`` (none if hw <= 0)."""
    hw -= _MARGIN_DEG
    if hw <= 0:
        return _NONE
    return ceil((lon - hw + 180.0) / width), floor((lon + hw + 180.0) / width) - 1

"""Geometry of discovery: distances on the sphere, the worldwide snapping grid, the distance
buckets, and where other users are *shown*.

Nothing here depends on a region: the snapping grid is keyed by latitude and longitude alone,
so every process, every presence backend and every place on Earth snaps alike.

What other users see is computed from **shown** positions only (DESIGN.md section 6): the true
position moved by a secret per-user, per-day offset, then snapped to the grid. Whether two
people are listed, told, ordered or bucketed is a function of their two shown positions, so an
attacker who probes from chosen points learns, at best, the shown cell: never within two cells
of the truth (see ``Displacement``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from disco.platform.offsets import secret_offset_m, utc_day

__all__ = [
    "BUCKETS",
    "DISPLACEMENT_CELLS",
    "EARTH_RADIUS_M",
    "MAX_ABS_LATITUDE",
    "METRES_PER_DEGREE_LAT",
    "WITHIN_TOLERANCE_M",
    "Bucket",
    "Displacement",
    "bucket_for",
    "haversine_m",
    "metres_per_degree_lon",
    "shown_bucket",
    "snap_latlon",
    "wrap_lon",
]

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180.0
FOOT_M = 0.3048
MILE_M = 1609.344
# Redis GEO indexes nothing nearer the poles (Web Mercator's limit): discovery stops there, in
# both presence backends alike, and no shown position lies beyond it.
MAX_ABS_LATITUDE = 85.05112878
# Positions are compared as shown, at cell centres, so two can lie exactly a radius apart (rows
# whose columns line up, near the equator): "within r" takes r itself with a millimetre to
# spare, so rounding never decides, and the two presence backends (chords in 3-D, haversine in
# Lua) always agree.
WITHIN_TOLERANCE_M = 0.001


def metres_per_degree_lon(latitude: float) -> float:
    return METRES_PER_DEGREE_LAT * math.cos(math.radians(latitude))


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on the mean-radius sphere."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class Bucket:
    label: str
    max_m: float


# For discovery radii of 30 m (100 ft) to 1609 m (a mile). The finest bucket is 500 ft, far
# coarser than the 30 m snapping cell, so a bucket never narrows anyone down below a block.
# Membership and buckets come from the same shown positions, so a listed pair (within both
# radii, at most 1609 m) always gets one of these; the last one also labels the matches list's
# farther pairs.
BUCKETS: tuple[Bucket, ...] = (
    Bucket("within 500 ft", 500 * FOOT_M),
    Bucket("within ¼ mile", MILE_M / 4),
    Bucket("within ½ mile", MILE_M / 2),
    Bucket("within 1 mile", MILE_M),
)


def bucket_for(distance_m: float) -> Bucket:
    for bucket in BUCKETS:
        if distance_m <= bucket.max_m:
            return bucket
    return BUCKETS[-1]


def snap_latlon(lat: float, lon: float, cell_m: float) -> tuple[float, float]:
    """The centre of the worldwide grid cell holding a point: rows ``cell_m`` of latitude high,
    each cut into as many whole columns at least ``cell_m`` wide (at the row's centre) as go
    round the Earth, so the grid has no seam at the antimeridian. Needs no origin, so every
    process and every presence backend snaps alike. Centres stay within ``MAX_ABS_LATITUDE``
    (the row next to the limit stands in for one beyond it) and within (-180, 180)."""
    step_lat = cell_m / METRES_PER_DEGREE_LAT
    row = math.floor(lat / step_lat)
    while abs((row + 0.5) * step_lat) > MAX_ABS_LATITUDE:
        row += -1 if row > 0 else 1
    centre_lat = (row + 0.5) * step_lat
    columns = max(1, math.floor(360.0 * metres_per_degree_lon(centre_lat) / cell_m))
    width = 360.0 / columns
    column = math.floor((lon + 180.0) / width) % columns
    return centre_lat, -180.0 + (column + 0.5) * width


def wrap_lon(lon: float) -> float:
    """Into [-180, 180): 180 and -180 are one meridian, named -180 (a point stored at +180 is
    never found from the other side by a Redis GEO search)."""
    if lon >= 180.0:
        return lon - 360.0
    if lon < -180.0:
        return lon + 360.0
    return lon


# A displaced position lies this many snapping cells from the true one (a ring, never nearer).
# Even an attacker who recovers a target's shown cell exactly (and knew its own offset, which
# the API never shows) is off by the offset less half a cell diagonal: 2.75 - 0.71 > 2 cells.
DISPLACEMENT_CELLS = (2.75, 3.25)


class Displacement:
    """Where others see a user: the true position moved by a secret offset, then snapped.

    Snapping alone lets an attacker who probes from chosen points recover the target's cell
    (the bucket edges outline it), which places the target within half a cell diagonal. The
    offset makes the recovered cell a wrong one, at least ``DISPLACEMENT_CELLS[0]`` cells
    minus half a diagonal away (more than two cells). It is keyed by a server secret, the user
    and the UTC day, so it is the same for every query of a day: averaging many answers gains
    nothing. Both people of a pair are shown displaced, so what one sees of the other also
    carries the viewer's own unknown offset.
    """

    def __init__(
        self, secret: bytes, cell_m: float, ring_cells: tuple[float, float] = DISPLACEMENT_CELLS
    ) -> None:
        self._secret = secret
        self.cell_m = cell_m
        self._ring_cells = ring_cells  # (0, 0) only in the test that shows why the offset exists

    @staticmethod
    def day(at: float) -> int:
        """The UTC day of ``at`` (epoch seconds): offsets change at midnight."""
        return utc_day(at)

    def offset_m(self, user_id: str, at: float) -> tuple[float, float]:
        """(north, east) metres for ``user_id`` on the UTC day of ``at`` (epoch seconds)."""
        low, high = self._ring_cells
        return secret_offset_m(
            self._secret, user_id, utc_day(at), self.cell_m * low, self.cell_m * high
        )

    def shown(self, user_id: str, lat: float, lon: float, at: float) -> tuple[float, float]:
        """The centre of the cell ``user_id`` standing at (lat, lon) is shown in, on the UTC
        day of ``at``. Near the latitude limit an offset that would cross it points the other
        way (still as far), so nobody is shown nearer the truth."""
        north, east = self.offset_m(user_id, at)
        moved_lat = lat + north / METRES_PER_DEGREE_LAT
        if abs(moved_lat) > MAX_ABS_LATITUDE:
            moved_lat = lat - north / METRES_PER_DEGREE_LAT
        moved_lon = wrap_lon(lon + east / max(metres_per_degree_lon(lat), 1.0))
        return snap_latlon(moved_lat, moved_lon, self.cell_m)


def shown_bucket(a: tuple[float, float], b: tuple[float, float]) -> Bucket:
    """The distance two people see of each other: between their shown positions, the same
    both ways."""
    return bucket_for(haversine_m(a[0], a[1], b[0], b[1]))

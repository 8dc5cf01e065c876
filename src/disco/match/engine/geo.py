"""Geometry for a city-sized presence index.

Positions are projected once onto a local equirectangular plane (metres east and north of the
index's origin, with the origin's cos(latitude) cached), so the hot loops compare squared
planar distances and never call a trigonometric function. Within 50 km of the origin (below
60 degrees of latitude) the projection's distances differ from haversine by less than 1%
(16 m at a mile); a deployment keeps one index per region, each with its own origin.

What other users see is never a distance but a **bucket** computed between grid-snapped
positions (DESIGN.md section 6), so the answer is the same for every position inside a cell.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import struct
from dataclasses import dataclass, field

__all__ = [
    "BUCKETS",
    "EARTH_RADIUS_M",
    "METRES_PER_DEGREE_LAT",
    "Bucket",
    "Displacement",
    "Projection",
    "bucket_for",
    "haversine_m",
    "metres_per_degree_lon",
    "snap",
    "snap_latlon",
    "snapped_distance_m",
]

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180.0
FOOT_M = 0.3048
MILE_M = 1609.344


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
class Projection:
    """Local equirectangular projection around ``origin``: (x east, y north) in metres."""

    origin_lat: float
    origin_lon: float
    metres_per_degree_lon: float = field(init=False)

    def __post_init__(self) -> None:
        if not -85.0 <= self.origin_lat <= 85.0:
            raise ValueError("a planar city index needs an origin between 85S and 85N")
        object.__setattr__(self, "metres_per_degree_lon", metres_per_degree_lon(self.origin_lat))

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        dlon = (lon - self.origin_lon + 180.0) % 360.0 - 180.0  # across the antimeridian too
        return dlon * self.metres_per_degree_lon, (lat - self.origin_lat) * METRES_PER_DEGREE_LAT

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        lon = self.origin_lon + x / self.metres_per_degree_lon
        return self.origin_lat + y / METRES_PER_DEGREE_LAT, (lon + 180.0) % 360.0 - 180.0


def snap(x: float, y: float, cell_m: float) -> tuple[int, int]:
    """The grid cell holding a planar point; every point of a cell reports as its centre."""
    return math.floor(x / cell_m), math.floor(y / cell_m)


def snapped_distance_m(a: tuple[int, int], b: tuple[int, int], cell_m: float) -> float:
    """Distance between the centres of two snapped cells."""
    return cell_m * math.hypot(a[0] - b[0], a[1] - b[1])


@dataclass(frozen=True, slots=True)
class Bucket:
    label: str
    max_m: float


# For discovery radii of 30 m (100 ft) to 1609 m (a mile). The finest bucket is 500 ft, far
# coarser than the 50 m snapping cell, so a bucket never narrows anyone down below a block.
# The last bucket also takes pairs whose snapped distance overshoots a mile (snapping moves
# each end by up to half a cell diagonal): membership is decided on true positions, buckets
# only describe it.
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
    each cut into cells ``cell_m`` wide at the row's centre. Needs no origin, so every process
    and every presence backend snaps alike."""
    step_lat = cell_m / METRES_PER_DEGREE_LAT
    row = math.floor(lat / step_lat)
    centre_lat = (row + 0.5) * step_lat
    step_lon = cell_m / max(metres_per_degree_lon(centre_lat), 1.0)
    column = math.floor(lon / step_lon)
    return centre_lat, (column + 0.5) * step_lon


# A displaced position lies this many snapping cells from the true one (a ring, never nearer).
DISPLACEMENT_CELLS = (1.85, 2.15)


class Displacement:
    """Where others see a user: the true position moved by a secret offset, then snapped.

    Snapping alone lets an attacker who probes from chosen points recover the target's cell
    (the bucket edges outline it), which places the target within half a cell diagonal. The
    offset makes the recovered cell a wrong one, at least ``DISPLACEMENT_CELLS[0]`` cells
    minus half a diagonal away (more than a cell). It is keyed by a server secret, the user and
    the day, so it is the same for every query of a day: averaging many answers gains nothing.
    """

    def __init__(
        self, secret: bytes, cell_m: float, ring_cells: tuple[float, float] = DISPLACEMENT_CELLS
    ) -> None:
        self._secret = secret
        self.cell_m = cell_m
        self._ring_cells = ring_cells  # (0, 0) only in the test that shows why the offset exists

    def offset_m(self, user_id: str, at: float) -> tuple[float, float]:
        """(north, east) metres for ``user_id`` on the UTC day of ``at`` (epoch seconds)."""
        day = math.floor(at / 86_400)
        digest = hmac.new(self._secret, f"{user_id}:{day}".encode(), hashlib.sha256).digest()
        u, v = struct.unpack(">QQ", digest[:16])
        angle = 2 * math.pi * (u / 2**64)
        low, high = self._ring_cells
        distance = self.cell_m * (low + (high - low) * (v / 2**64))
        return distance * math.cos(angle), distance * math.sin(angle)

    def shown(self, user_id: str, lat: float, lon: float, at: float) -> tuple[float, float]:
        north, east = self.offset_m(user_id, at)
        moved_lat = lat + north / METRES_PER_DEGREE_LAT
        moved_lon = lon + east / max(metres_per_degree_lon(lat), 1.0)
        return snap_latlon(moved_lat, moved_lon, self.cell_m)

    def bucket(self, viewer: tuple[float, float], other: tuple[float, float]) -> Bucket:
        """What the viewer sees: from the viewer's own snapped position to the other's shown
        one (the viewer knows where they are; only the other needs hiding)."""
        here = snap_latlon(viewer[0], viewer[1], self.cell_m)
        return bucket_for(haversine_m(here[0], here[1], other[0], other[1]))

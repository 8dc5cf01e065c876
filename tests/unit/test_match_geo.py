"""Distances, the city plane, snapping and the distance buckets other users see."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disco.match.engine.geo import (
    BUCKETS,
    METRES_PER_DEGREE_LAT,
    Projection,
    bucket_for,
    haversine_m,
    metres_per_degree_lon,
    snap,
    snapped_distance_m,
)


def test_degree_lengths() -> None:
    assert abs(METRES_PER_DEGREE_LAT - 111_195) < 1
    assert metres_per_degree_lon(0) == pytest.approx(METRES_PER_DEGREE_LAT)
    assert metres_per_degree_lon(60) == pytest.approx(METRES_PER_DEGREE_LAT / 2)


def test_haversine_known_distances() -> None:
    assert haversine_m(51.5007, -0.1246, 48.8584, 2.2945) == pytest.approx(341_000, rel=0.01)
    assert haversine_m(0, 0, 1, 0) == pytest.approx(METRES_PER_DEGREE_LAT)
    assert haversine_m(10, 179.9995, 10, -179.9995) == pytest.approx(109.6, abs=0.5)
    assert haversine_m(45, 7, 45, 7) == 0


@given(
    origin_lat=st.floats(-60, 60),
    origin_lon=st.floats(-180, 180),
    east=st.floats(-20_000, 20_000),
    north=st.floats(-20_000, 20_000),
)
def test_the_city_plane_round_trips_and_keeps_distances_within_one_percent(
    origin_lat: float, origin_lon: float, east: float, north: float
) -> None:
    plane = Projection(origin_lat, origin_lon)
    lat, lon = plane.to_latlon(east, north)
    x, y = plane.to_xy(lat, lon)
    assert (x, y) == (pytest.approx(east, abs=1e-6), pytest.approx(north, abs=1e-6))
    # Points a mile apart near the edge of a 40 km city: the plane's distance is within 1%.
    lat2, lon2 = plane.to_latlon(east + 1000, north + 1250)
    planar = math.hypot(1000, 1250)
    assert haversine_m(lat, lon, lat2, lon2) == pytest.approx(planar, rel=0.01)


def test_the_plane_crosses_the_antimeridian() -> None:
    plane = Projection(-17.7, 179.999)  # Fiji
    x, _ = plane.to_xy(-17.7, -179.999)
    assert x == pytest.approx(2 * 0.001 * metres_per_degree_lon(-17.7))


def test_a_polar_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="85"):
        Projection(89.9, 0)


def test_snapping_is_a_floor_on_the_grid_on_both_sides_of_zero() -> None:
    assert snap(0.0, 0.0, 50) == (0, 0)
    assert snap(49.99, 0.01, 50) == (0, 0)
    assert snap(50.0, -0.01, 50) == (1, -1)
    assert snap(-50.0, -50.01, 50) == (-1, -2)


@given(
    x=st.floats(-1e5, 1e5), y=st.floats(-1e5, 1e5), dx=st.floats(0, 0.999), dy=st.floats(0, 0.999)
)
def test_every_point_of_a_cell_reports_as_the_same_cell(
    x: float, y: float, dx: float, dy: float
) -> None:
    ix, iy = snap(x, y, 50)
    assert snap((ix + dx) * 50, (iy + dy) * 50, 50) == (ix, iy)


def test_snapped_distance_is_between_cell_centres() -> None:
    assert snapped_distance_m((0, 0), (3, 4), 50) == 250
    assert snapped_distance_m((2, 2), (2, 2), 50) == 0


@pytest.mark.parametrize(
    ("metres", "label"),
    [
        (0, "within 500 ft"),
        (30, "within 500 ft"),
        (152.4, "within 500 ft"),
        (152.5, "within ¼ mile"),
        (402, "within ¼ mile"),
        (500, "within ½ mile"),
        (1000, "within 1 mile"),
        (1609, "within 1 mile"),
        (1680, "within 1 mile"),  # snapping may overshoot a mile: still the last bucket
    ],
)
def test_buckets(metres: float, label: str) -> None:
    assert bucket_for(metres).label == label


def test_buckets_grow_and_the_finest_is_coarser_than_a_snapping_cell() -> None:
    bounds = [b.max_m for b in BUCKETS]
    assert bounds == sorted(bounds)
    assert bounds[0] > 2 * 50  # the finest answer still spans several 50 m cells
    assert bounds[-1] >= 1609  # the largest discovery radius


@given(a=st.floats(0, 5000), b=st.floats(0, 5000))
def test_a_farther_distance_never_gets_a_finer_bucket(a: float, b: float) -> None:
    near, far = sorted((a, b))
    assert bucket_for(near).max_m <= bucket_for(far).max_m

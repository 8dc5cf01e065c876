"""Distances, the worldwide snapping grid, shown positions and the buckets other users see."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disco.match.engine.geo import (
    BUCKETS,
    DISPLACEMENT_CELLS,
    MAX_ABS_LATITUDE,
    METRES_PER_DEGREE_LAT,
    Displacement,
    bucket_for,
    haversine_m,
    metres_per_degree_lon,
    shown_bucket,
    snap_latlon,
    wrap_lon,
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


@given(lat=st.floats(-MAX_ABS_LATITUDE, MAX_ABS_LATITUDE), lon=st.floats(-180, 180))
def test_every_point_snaps_to_a_nearby_cell_centre_within_the_range(lat: float, lon: float) -> None:
    centre = snap_latlon(lat, lon, 30)
    assert -MAX_ABS_LATITUDE <= centre[0] <= MAX_ABS_LATITUDE
    assert -180 <= centre[1] < 180
    # Within half a diagonal, or a row more at the latitude limit (the row beyond is folded in).
    assert haversine_m(lat, lon, *centre) <= 30 * (math.sqrt(0.5) + 1) + 0.01
    assert snap_latlon(*centre, 30) == centre  # a centre is its own cell's centre


def test_the_grid_needs_no_origin_and_crosses_the_antimeridian() -> None:
    assert snap_latlon(52.52, 13.405, 30) == snap_latlon(52.520001, 13.405001, 30)
    east, west = snap_latlon(-17.7, 179.99999, 30), snap_latlon(-17.7, -179.99999, 30)
    assert haversine_m(*east, *west) < 60
    assert wrap_lon(180.0) == -180.0 and wrap_lon(-180.0) == -180.0 and wrap_lon(190.0) == -170.0


@given(
    lat=st.floats(-MAX_ABS_LATITUDE, MAX_ABS_LATITUDE),
    lon=st.floats(-180, 180),
    user=st.text(min_size=1, max_size=8),
)
def test_a_shown_position_is_displaced_by_the_ring_anywhere(
    lat: float, lon: float, user: str
) -> None:
    displacement = Displacement(b"secret", 30)
    shown = displacement.shown(user, lat, lon, at=86_400 * 30)
    assert -MAX_ABS_LATITUDE <= shown[0] <= MAX_ABS_LATITUDE and -180 <= shown[1] < 180
    low, high = DISPLACEMENT_CELLS
    # The offset, then a snap of half a cell diagonal (a row more at the latitude limit).
    slack = 30 * (math.sqrt(0.5) + (1 if abs(lat) > 85 else 0)) + 0.5
    assert 30 * low - slack <= haversine_m(lat, lon, *shown) <= 30 * high + slack


def test_both_sides_of_a_pair_see_one_bucket() -> None:
    a, b = (52.52, 13.405), (52.521, 13.407)
    assert shown_bucket(a, b) == shown_bucket(b, a) == bucket_for(haversine_m(*a, *b))


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

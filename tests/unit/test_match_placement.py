"""The fix rules: server time for the speed check, a slack that does not add up, stale fixes."""

from __future__ import annotations

import math

from disco.match.discovery.placement import Placed, Placement
from disco.match.engine.geo import METRES_PER_DEGREE_LAT, Displacement, haversine_m
from disco.match.presence import Fix

CELL = 30.0
SPEED = 90.0
HERE = (52.52, 13.405)
NOON = 86_400 * 20_500 + 43_200.0


def north(metres: float) -> tuple[float, float]:
    return HERE[0] + metres / METRES_PER_DEGREE_LAT, HERE[1]


def make() -> tuple[Displacement, Placement]:
    displacement = Displacement(b"placement", CELL)
    return displacement, Placement(displacement, max_speed_mps=SPEED, max_age_s=120)


def remembered(placed: Placed | str, at: float) -> Fix:
    assert isinstance(placed, Placed), placed
    return Fix(placed.latitude, placed.longitude, at, placed.taken_at, placed.slack_m)


def test_a_first_fix_is_shown_displaced_with_the_whole_slack() -> None:
    displacement, placement = make()
    placed = placement.place("ada", *HERE, NOON, NOON, None)
    assert isinstance(placed, Placed)
    assert (placed.latitude, placed.longitude) == displacement.shown("ada", *HERE, NOON)
    assert placed.slack_m == placement.slack_m == 50 + math.sqrt(2) * CELL
    assert haversine_m(*HERE, placed.latitude, placed.longitude) > 2 * CELL


def test_travel_time_is_the_server_s_whatever_the_device_says() -> None:
    _, placement = make()
    # The first fix claims to be 110 s old: accepted, but timed as arriving now.
    first = remembered(placement.place("ada", *HERE, NOON - 110, NOON, None), NOON)
    far = north(9_000)
    assert placement.place("ada", *far, NOON, NOON + 1, first) == "implausible"
    assert placement.place("ada", *far, NOON + 1, NOON + 60, first) == "implausible"
    assert isinstance(placement.place("ada", *far, NOON + 100, NOON + 100, first), Placed)


def test_stale_fixes() -> None:
    _, placement = make()
    assert placement.place("ada", *HERE, NOON - 120, NOON, None) == "stale"  # older than the TTL
    last = remembered(placement.place("ada", *HERE, NOON - 5, NOON, None), NOON)
    assert placement.place("ada", *HERE, NOON - 6, NOON + 1, last) == "stale"  # out of order
    assert isinstance(placement.place("ada", *HERE, NOON - 5, NOON + 1, last), Placed)


def test_the_slack_is_spent_and_refills_so_small_jumps_do_not_add_up() -> None:
    """Half-second fixes each trying to jump the pace plus a whole slack: over a minute the
    probe gets no further than the speed limit plus what the slack refilled."""
    _, placement = make()
    at = NOON
    last = remembered(placement.place("ada", *HERE, at, at, None), at)
    travelled = 0.0
    jumps = 0
    while at < NOON + 60:
        at += 0.5
        # The farthest the last fix's pace and a whole slack would allow, else the pace alone.
        for target in (travelled + SPEED * 0.5 + placement.slack_m, travelled + SPEED * 0.5):
            placed = placement.place("ada", *north(target), at, at, last)
            if isinstance(placed, Placed):
                jumps += target > travelled + SPEED * 0.5
                last, travelled = remembered(placed, at), target
                break
    assert jumps >= 1
    # A slack of 92 m refilling over 10 s: at most about 9 m/s on top of the limit.
    assert travelled <= SPEED * 60 + placement.slack_m * (1 + 60 / 10) + 1


def test_midnight_moves_everyone_s_shown_position_but_not_their_speed() -> None:
    displacement, placement = make()
    before = 86_400 * 20_501 - 1.0
    last = remembered(placement.place("ada", *HERE, before, before, None), before)
    placed = placement.place("ada", *HERE, before + 2, before + 2, last)
    assert isinstance(placed, Placed)  # standing still across midnight is no jump
    assert (placed.latitude, placed.longitude) == displacement.shown("ada", *HERE, before + 2)
    assert (placed.latitude, placed.longitude) != (last.latitude, last.longitude)

"""The matching rule: the compatibility score and who may be introduced to whom."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disco.match.engine.rules import (
    MIN_SCORE,
    Block,
    Candidate,
    PrivacyZone,
    TimeWindow,
    compatible,
    eligible,
    score,
    shared,
)

# Wednesday 2026-11-25, 18:30 in Berlin (UTC+1).
NOW = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
WED = 3


def person(user_id: str, **changes: object) -> Candidate:
    base = Candidate(
        user_id=user_id,
        mode="social",
        interests=frozenset({"hiking", "jazz", "coffee"}),
        activities=frozenset({"coffee", "walk"}),
        latitude=52.52,
        longitude=13.405,
    )
    return replace(base, **changes)


def test_score_is_the_weighted_overlap_coefficient() -> None:
    a = person("a", interests=frozenset({"hiking", "jazz"}), activities=frozenset({"walk"}))
    b = person("b", interests=frozenset({"hiking", "chess", "wine", "art"}), activities=frozenset())
    assert score(a, b) == pytest.approx(0.7 * 1 / 2 + 0.3 * 0)
    c = person("c", interests=frozenset({"hiking", "jazz"}) | {f"x{i}" for i in range(28)})
    # Someone who lists two interests, both shared, fits someone who lists thirty perfectly.
    assert score(a, c) == pytest.approx(0.7 * 1.0 + 0.3 * 1.0)


def test_no_shared_interest_or_activity_is_not_compatible() -> None:
    a = person("a", interests=frozenset({"hiking"}), activities=frozenset({"walk"}))
    b = person("b", interests=frozenset({"chess"}), activities=frozenset({"coffee"}))
    assert score(a, b) == 0
    assert not compatible(a, b)
    assert compatible(a, replace(b, activities=frozenset({"walk"})))


def test_a_thin_overlap_falls_below_the_threshold() -> None:
    many = frozenset(f"i{k}" for k in range(10))
    a = person("a", interests=many, activities=frozenset())
    b = person(
        "b", interests=frozenset({"i0"}) | {f"j{k}" for k in range(9)}, activities=frozenset()
    )
    assert score(a, b) == pytest.approx(0.07)
    assert score(a, b) < MIN_SCORE
    assert not compatible(a, b)
    assert compatible(a, b, min_score=0.05)


def test_shared_lists_interests_then_activities_without_repeats() -> None:
    a, b = person("a"), person("b", interests=frozenset({"jazz", "coffee", "art"}))
    assert shared(a, b) == ["coffee", "jazz", "walk"]


tags = st.frozensets(st.sampled_from(["hiking", "jazz", "chess", "wine", "art", "coffee"]))


@given(ia=tags, ib=tags, aa=tags, ab=tags)
def test_score_is_symmetric_deterministic_and_bounded(
    ia: frozenset[str], ib: frozenset[str], aa: frozenset[str], ab: frozenset[str]
) -> None:
    a = person("a", interests=ia, activities=aa)
    b = person("b", interests=ib, activities=ab)
    assert score(a, b) == score(b, a) == score(a, b)
    assert 0 <= score(a, b) <= 1
    assert compatible(a, b) == compatible(b, a)


def test_eligible_when_everything_fits() -> None:
    assert eligible(person("a"), person("b"), now=NOW)


def test_modes_must_match() -> None:
    assert not eligible(person("a"), person("b", mode="professional"), now=NOW)


def test_nobody_is_introduced_to_themselves() -> None:
    assert not eligible(person("a"), person("a"), now=NOW)


def test_blocks_are_absolute_either_way_while_they_last() -> None:
    a, b = person("a"), person("b")
    assert not eligible(a, b, now=NOW, blocks=[Block("a", "b")])
    assert not eligible(a, b, now=NOW, blocks=[Block("b", "a")])
    assert eligible(a, b, now=NOW, blocks=[Block("a", "c"), Block("c", "b")])
    ended = Block("b", "a", until=datetime(2026, 11, 25, 17, 0, tzinfo=UTC))
    assert eligible(a, b, now=NOW, blocks=[ended])


def test_both_must_be_inside_one_of_their_time_windows() -> None:
    evening = TimeWindow(frozenset({WED}), time(18, 0), time(22, 0), "Europe/Berlin")
    morning = TimeWindow(frozenset({WED}), time(7, 0), time(9, 0), "Europe/Berlin")
    a = person("a", time_windows=(evening,))
    assert eligible(a, person("b", time_windows=(morning, evening)), now=NOW)
    assert not eligible(a, person("b", time_windows=(morning,)), now=NOW)
    assert eligible(a, person("b"), now=NOW)  # no windows: any time


def test_a_window_past_midnight_belongs_to_the_day_it_starts() -> None:
    late = TimeWindow(frozenset({2}), time(22, 0), time(2, 0), "Europe/Berlin")  # Tuesday night
    assert late.contains(datetime(2026, 11, 24, 22, 30, tzinfo=UTC))  # Tue 23:30 local
    assert late.contains(datetime(2026, 11, 25, 0, 30, tzinfo=UTC))  # Wed 01:30 local
    assert not late.contains(datetime(2026, 11, 25, 1, 30, tzinfo=UTC))  # Wed 02:30 local
    assert not late.contains(datetime(2026, 11, 25, 21, 30, tzinfo=UTC))  # Wed 22:30 local


def test_a_window_reads_the_wall_clock_of_its_time_zone() -> None:
    window = TimeWindow(frozenset({WED}), time(9, 0), time(10, 0), "America/New_York")
    assert window.contains(datetime(2026, 11, 25, 14, 30, tzinfo=UTC))
    assert not window.contains(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))


def test_inside_ones_own_privacy_zone_discovery_is_off() -> None:
    home = PrivacyZone(52.52, 13.405, radius_m=200)
    at_home = person("a", privacy_zones=(home,))
    assert not eligible(at_home, person("b"), now=NOW)
    assert not eligible(person("b"), at_home, now=NOW)
    away = replace(at_home, latitude=52.53)  # 1.1 km north
    assert eligible(away, person("b"), now=NOW)
    lapsed = PrivacyZone(52.52, 13.405, 200, expires_at=datetime(2026, 11, 25, tzinfo=UTC))
    assert eligible(person("a", privacy_zones=(lapsed,)), person("b"), now=NOW)


def test_each_must_fit_the_others_age_range_when_known() -> None:
    young = person("a", birth_date=date(2000, 11, 26))  # 25 on NOW
    picky = person("b", age_range=(26, 40), birth_date=date(1990, 1, 1))
    assert not eligible(young, picky, now=NOW)
    assert eligible(replace(young, birth_date=date(2000, 11, 25)), picky, now=NOW)  # 26 today
    assert eligible(replace(young, birth_date=None), picky, now=NOW)
    assert not eligible(replace(young, age_range=(18, 30)), picky, now=NOW)

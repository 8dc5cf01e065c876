"""The presence index against a brute-force oracle, anywhere on Earth."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disco.match.engine.geo import (
    METRES_PER_DEGREE_LAT,
    WITHIN_TOLERANCE_M,
    haversine_m,
    metres_per_degree_lon,
)
from disco.match.engine.index import PresenceIndex
from disco.match.engine.sphere import chord_m, to_xyz

ORIGIN = (52.52, 13.405)
Pair = tuple[str, str]


def pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def compatible(a: str, b: str) -> bool:
    """A deterministic stand-in for the matching rule: about two pairs in three."""
    return sum(map(ord, a + b)) % 3 != 0


@dataclass
class Oracle:
    """What should be announced, by brute force over every present user: no index."""

    ttl: float
    cooldown: float
    xyr: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    seen: dict[str, float] = field(default_factory=dict)
    in_range: set[Pair] = field(default_factory=set)
    tracked: set[Pair] = field(default_factory=set)  # announced pairs still together
    separated: dict[Pair, float] = field(default_factory=dict)
    now: float = -math.inf

    def within(self, a: str, b: str) -> bool:
        """Chords in 3-D, as the index measures: this checks the index's cells, not the
        formula (``test_chords_agree_with_great_circle_distances`` checks that)."""
        ax, ay, az, ar = self.xyr[a]
        bx, by, bz, br = self.xyr[b]
        m = chord_m(min(ar, br) + WITHIN_TOLERANCE_M)
        dx, dy, dz = bx - ax, by - ay, bz - az
        return dx * dx + dy * dy + dz * dz <= m * m

    def neighbours(self, user: str) -> set[str]:
        return {other for other in self.xyr if other != user and self.within(user, other)}

    def expire(self, now: float) -> set[str]:
        self.now = max(self.now, now)
        gone = {u for u, seen in self.seen.items() if seen + self.ttl <= self.now}
        for user in sorted(gone, key=self.seen.__getitem__):
            self.drop(user, self.seen[user] + self.ttl)
        return gone

    def drop(self, user: str, at: float) -> None:
        del self.xyr[user], self.seen[user]
        for p in [p for p in self.in_range if user in p]:
            self.in_range.discard(p)
            if p in self.tracked:
                self.tracked.discard(p)
                self.separated[p] = at

    def upsert(self, user: str, lat: float, lon: float, r: float, at: float) -> set[str]:
        self.expire(at)
        self.xyr[user], self.seen[user] = (*to_xyz(lat, lon), r), self.now
        now_near = self.neighbours(user)
        before = {b if a == user else a for a, b in self.in_range if user in (a, b)}
        for other in before - now_near:
            p = pair(user, other)
            self.in_range.discard(p)
            if p in self.tracked:
                self.tracked.discard(p)
                self.separated[p] = self.now
        announced = set()
        for other in now_near - before:
            p = pair(user, other)
            self.in_range.add(p)
            apart_since = self.separated.pop(p, None)
            if apart_since is not None and self.now - apart_since < self.cooldown:
                self.tracked.add(p)
            elif compatible(user, other):
                self.tracked.add(p)
                announced.add(other)
        return announced


def wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def place(region: str, x: float, y: float) -> tuple[float, float]:
    """A point of ``region`` from coordinates in metres: a square around a city or across the
    antimeridian, or a disc around a pole (``y`` from the pole, ``x`` around it)."""
    if region in ("north pole", "south pole"):
        lat = 90.0 - y / METRES_PER_DEGREE_LAT
        lon = wrap(x / 2.0)  # the square's 0..2500 m maps onto a whole turn and more
        return (lat, lon) if region == "north pole" else (-lat, lon)
    origin = {"berlin": (52.52, 13.405), "fiji": (-17.7, 179.99), "equator": (0.0, 0.0)}[region]
    lat = origin[0] + (y - 1000) / METRES_PER_DEGREE_LAT
    return lat, wrap(origin[1] + (x - 1000) / metres_per_degree_lon(origin[0]))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    users=st.integers(300, 700),
    side_m=st.sampled_from([600.0, 1200.0, 2500.0]),
    radii=st.sampled_from([(30, 150, 500, 1609), (50, 100, 200, 400)]),
    ttl=st.floats(5.0, 60.0),
    cooldown=st.sampled_from([0.0, 10.0, 120.0]),
    pace=st.floats(0.3, 2.0),
    regions=st.lists(
        st.sampled_from(["berlin", "fiji", "equator", "north pole", "south pole"]),
        min_size=1,
        max_size=3,
        unique=True,
    ),
)
def test_announced_pairs_equal_the_brute_force_oracle(
    seed: int,
    users: int,
    side_m: float,
    radii: tuple[int, ...],
    ttl: float,
    cooldown: float,
    pace: float,
    regions: list[str],
) -> None:
    """One index, several regions at once (the antimeridian and the poles among them)."""
    rng = random.Random(seed)
    index = PresenceIndex(ttl_s=ttl, cooldown_s=cooldown, pair_filter=compatible)
    oracle = Oracle(ttl=ttl, cooldown=cooldown)
    names = [f"u{i:04d}" for i in range(users)]
    home = {name: rng.choice(regions) for name in names}
    where: dict[str, tuple[float, float]] = {}
    now = 0.0
    announcements = 0
    for _ in range(3 * users):
        now += rng.uniform(0, 2 * pace * ttl / users)  # each user updates about every pace*ttl
        user = rng.choice(names)
        roll = rng.random()
        if roll < 0.04:
            index.remove(user, now)
            oracle.expire(now)
            if user in oracle.xyr:
                oracle.drop(user, oracle.now)
            assert user not in index
            continue
        if roll < 0.08:
            assert set(index.expire(now)) == oracle.expire(now)
            continue
        if user in oracle.xyr and rng.random() < 0.9:
            step, angle = rng.uniform(0, 150), rng.uniform(0, 2 * math.pi)
            x, y = where[user]
            x = min(side_m, max(0.0, x + step * math.cos(angle)))
            y = min(side_m, max(0.0, y + step * math.sin(angle)))
        else:
            x, y = rng.uniform(0, side_m), rng.uniform(0, side_m)
        r = radii[rng.randrange(len(radii))] if rng.random() < 0.2 else None
        radius = r if r is not None else (oracle.xyr[user][3] if user in oracle.xyr else radii[0])
        where[user] = (x, y)
        lat, lon = place(home[user], x, y)

        got = index.upsert(user, lat, lon, radius, now)
        expected = oracle.upsert(user, lat, lon, radius, now)

        assert len(got) == len(set(got)), "a pair announced twice in one update"
        assert set(got) == expected
        assert set(index.query(user)) == oracle.neighbours(user)
        announcements += len(got)
    assert len(index) == len(oracle.xyr)
    everyone_near = {pair(u, v) for u in oracle.xyr for v in oracle.neighbours(u)}
    assert everyone_near == oracle.in_range
    assert announcements > 0


@given(
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    bearing=st.floats(0, 2 * math.pi),
    metres=st.floats(0, 1609),
)
def test_chords_agree_with_great_circle_distances(
    lat: float, lon: float, bearing: float, metres: float
) -> None:
    """The index's chords and haversine say the same "within" up to a millimetre."""
    other = (
        max(-90.0, min(90.0, lat + metres * math.cos(bearing) / METRES_PER_DEGREE_LAT)),
        wrap(lon + metres * math.sin(bearing) / max(metres_per_degree_lon(lat), 1.0)),
    )
    arc = haversine_m(lat, lon, *other)
    chord = math.dist(to_xyz(lat, lon), to_xyz(*other))
    assert chord == pytest.approx(chord_m(arc), abs=1e-3)


def near(origin: tuple[float, float], east: float, north: float) -> tuple[float, float]:
    return (
        origin[0] + north / METRES_PER_DEGREE_LAT,
        wrap(origin[1] + east / metres_per_degree_lon(origin[0])),
    )


def test_a_pair_is_announced_once_per_encounter_and_again_after_the_cool_down() -> None:
    index = PresenceIndex(ttl_s=1000, cooldown_s=100)
    here, close, far = (near(ORIGIN, east, 0) for east in (0, 100, 1000))
    assert index.upsert("a", *here, 500, at=0) == []
    assert index.upsert("b", *close, 500, at=1) == ["a"]
    assert index.upsert("b", *close, 500, at=2) == []  # still together: no repeat
    assert index.upsert("a", *here, 500, at=3) == []
    assert index.upsert("b", *far, 500, at=10) == []  # apart from t=10
    assert index.upsert("b", *close, 500, at=50) == []  # back within the cool-down: silent
    assert index.upsert("b", *far, 500, at=60) == []  # apart again from t=60
    assert index.upsert("a", *here, 500, at=100) == []
    assert index.upsert("b", *close, 500, at=159) == []  # 99 s apart: still too soon
    assert index.upsert("b", *far, 500, at=160) == []
    assert index.upsert("a", *here, 500, at=200) == []
    assert index.upsert("b", *close, 500, at=260) == ["a"]  # 100 s apart: a new encounter


def test_a_silent_user_expires_and_ends_its_encounters() -> None:
    index = PresenceIndex(ttl_s=30, cooldown_s=10)
    here, close = near(ORIGIN, 0, 0), near(ORIGIN, 20, 0)
    index.upsert("a", *here, 100, at=0)
    assert index.upsert("b", *close, 100, at=5) == ["a"]
    assert index.upsert("b", *close, 100, at=25) == []
    assert index.query("b") == ["a"]
    assert index.expire(29.9) == []
    assert index.expire(30) == ["a"]  # silent since t=0, ttl 30: apart from t=30
    assert "a" not in index
    assert index.query("b") == []
    assert index.upsert("a", *here, 100, at=39) == []  # 9 s apart: within the cool-down
    index.remove("a", at=40)  # apart from t=40
    assert index.upsert("b", *close, 100, at=45) == []
    assert index.upsert("a", *here, 100, at=50) == ["b"]


def test_only_pairs_within_both_radii_are_in_range() -> None:
    index = PresenceIndex()
    index.upsert("wide", *near(ORIGIN, 0, 0), 1609, at=0)
    index.upsert("narrow", *near(ORIGIN, 200, 0), 150, at=0)
    index.upsert("mid", *near(ORIGIN, -400, 0), 500, at=0)
    assert sorted(index.query("wide")) == ["mid"]  # narrow is 200 m away, its radius 150 m
    assert index.query("narrow") == []
    assert sorted(index.query("mid")) == ["wide"]


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ((52.52, 13.405), (52.52, 13.41978), 1000),  # Berlin, whatever was placed first
        ((-17.7, 179.9995), (-17.7, -179.9995), 106),  # across the antimeridian
        ((90.0, 0.0), (89.995, 137.0), 556),  # the north pole, any longitude
        ((-89.999, -45.0), (-89.999, 135.0), 222),  # either side of the south pole
        ((0.0, 180.0), (0.0, -180.0), 0),  # one meridian, two names
    ],
)
def test_one_index_serves_every_region_at_once(
    a: tuple[float, float], b: tuple[float, float], metres: float
) -> None:
    index = PresenceIndex()
    index.upsert("first", 0.0, 0.0, 1609, at=0)  # no region is taken from the first user
    index.upsert("arctic", 80.0, 13.4, 1609, at=0)
    assert haversine_m(*a, *b) == pytest.approx(metres, abs=1)
    index.upsert("a", *a, 1609, at=1)
    assert index.upsert("b", *b, 1609, at=2) == ["a"]
    assert index.query("a") == ["b"] and index.query("b") == ["a"]
    if metres > 0:
        index.upsert("b", *b, metres - 5, at=3)  # just short of each other
        assert index.query("a") == [] and index.query("b") == []

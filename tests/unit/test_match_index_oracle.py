"""The presence index against a brute-force oracle, and against a trilaterating attacker."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disco.match.engine.geo import BUCKETS, Projection, bucket_for, snap, snapped_distance_m
from disco.match.engine.index import PresenceIndex

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
    xyr: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    seen: dict[str, float] = field(default_factory=dict)
    in_range: set[Pair] = field(default_factory=set)
    tracked: set[Pair] = field(default_factory=set)  # announced pairs still together
    separated: dict[Pair, float] = field(default_factory=dict)
    now: float = -math.inf

    def within(self, a: str, b: str) -> bool:
        ax, ay, ar = self.xyr[a]
        bx, by, br = self.xyr[b]
        m = min(ar, br)
        dx, dy = bx - ax, by - ay
        return dx * dx + dy * dy <= m * m

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

    def upsert(self, user: str, x: float, y: float, r: float, at: float) -> set[str]:
        self.expire(at)
        self.xyr[user], self.seen[user] = (x, y, r), self.now
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


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    users=st.integers(300, 800),
    side_m=st.sampled_from([600.0, 1200.0, 2500.0]),
    radii=st.sampled_from([(30, 150, 500, 1609), (50, 100, 200, 400)]),
    ttl=st.floats(5.0, 60.0),
    cooldown=st.sampled_from([0.0, 10.0, 120.0]),
    pace=st.floats(0.3, 2.0),
)
def test_announced_pairs_equal_the_brute_force_oracle(
    seed: int,
    users: int,
    side_m: float,
    radii: tuple[int, ...],
    ttl: float,
    cooldown: float,
    pace: float,
) -> None:
    rng = random.Random(seed)
    index = PresenceIndex(*ORIGIN, ttl_s=ttl, cooldown_s=cooldown, pair_filter=compatible)
    oracle = Oracle(ttl=ttl, cooldown=cooldown)
    names = [f"u{i:04d}" for i in range(users)]
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
        radius = r if r is not None else (oracle.xyr[user][2] if user in oracle.xyr else radii[0])
        where[user] = (x, y)
        lat, lon = index.projection.to_latlon(x, y)
        px, py = index.projection.to_xy(lat, lon)

        got = index.upsert(user, lat, lon, radius, now)
        expected = oracle.upsert(user, px, py, radius, now)

        assert len(got) == len(set(got)), "a pair announced twice in one update"
        assert set(got) == expected
        assert set(index.query(user)) == oracle.neighbours(user)
        announcements += len(got)
    assert len(index) == len(oracle.xyr)
    everyone_near = {pair(u, v) for u in oracle.xyr for v in oracle.neighbours(u)}
    assert everyone_near == oracle.in_range
    assert announcements > 0


def test_a_pair_is_announced_once_per_encounter_and_again_after_the_cool_down() -> None:
    index = PresenceIndex(*ORIGIN, ttl_s=1000, cooldown_s=100)
    here = index.projection.to_latlon(0, 0)
    near = index.projection.to_latlon(100, 0)
    far = index.projection.to_latlon(1000, 0)
    assert index.upsert("a", *here, 500, at=0) == []
    assert index.upsert("b", *near, 500, at=1) == ["a"]
    assert index.upsert("b", *near, 500, at=2) == []  # still together: no repeat
    assert index.upsert("a", *here, 500, at=3) == []
    assert index.upsert("b", *far, 500, at=10) == []  # apart from t=10
    assert index.upsert("b", *near, 500, at=50) == []  # back within the cool-down: silent
    assert index.upsert("b", *far, 500, at=60) == []  # apart again from t=60
    assert index.upsert("a", *here, 500, at=100) == []
    assert index.upsert("b", *near, 500, at=159) == []  # 99 s apart: still too soon
    assert index.upsert("b", *far, 500, at=160) == []
    assert index.upsert("a", *here, 500, at=200) == []
    assert index.upsert("b", *near, 500, at=260) == ["a"]  # 100 s apart: a new encounter


def test_a_silent_user_expires_and_ends_its_encounters() -> None:
    index = PresenceIndex(*ORIGIN, ttl_s=30, cooldown_s=10)
    here = index.projection.to_latlon(0, 0)
    near = index.projection.to_latlon(20, 0)
    index.upsert("a", *here, 100, at=0)
    assert index.upsert("b", *near, 100, at=5) == ["a"]
    assert index.upsert("b", *near, 100, at=25) == []
    assert index.query("b") == ["a"]
    assert index.expire(29.9) == []
    assert index.expire(30) == ["a"]  # silent since t=0, ttl 30: apart from t=30
    assert "a" not in index
    assert index.query("b") == []
    assert index.upsert("a", *here, 100, at=39) == []  # 9 s apart: within the cool-down
    index.remove("a", at=40)  # apart from t=40
    assert index.upsert("b", *near, 100, at=45) == []
    assert index.upsert("a", *here, 100, at=50) == ["b"]


def test_only_pairs_within_both_radii_are_in_range() -> None:
    index = PresenceIndex(*ORIGIN)
    index.upsert("wide", *index.projection.to_latlon(0, 0), 1609, at=0)
    index.upsert("narrow", *index.projection.to_latlon(200, 0), 150, at=0)
    index.upsert("mid", *index.projection.to_latlon(-400, 0), 500, at=0)
    assert sorted(index.query("wide")) == ["mid"]  # narrow is 200 m away, its radius 150 m
    assert index.query("narrow") == []
    assert sorted(index.query("mid")) == ["wide"]


# -- the trilaterating attacker ----------------------------------------------------------------

CELL = 50.0


def observe(target_xy: tuple[float, float], probes: list[tuple[float, float]]) -> list[str]:
    """Put a target down, walk a probe user through ``probes``; read only what is reported."""
    index = PresenceIndex(*ORIGIN, snap_m=CELL, ttl_s=1e9)
    index.upsert("target", *index.projection.to_latlon(*target_xy), 1609, at=0)
    seen = []
    for step, probe in enumerate(probes, start=1):
        index.upsert("probe", *index.projection.to_latlon(*probe), 1609, at=step)
        assert index.query("probe") == ["target"]
        seen.append(index.bucket("probe", "target").label)
    return seen


def locate(probes: list[tuple[float, float]], seen: list[str]) -> list[tuple[int, int]]:
    """The snapping cells the target may be in, given what was seen.

    The attacker knows the mechanism exactly (the snapping grid and the buckets), so it tests
    whole cells: every position in a cell gets the same answers.
    """
    projection = Projection(*ORIGIN)  # public knowledge: the probe's own lat/lon on the plane
    probe_cells = [snap(*projection.to_xy(*projection.to_latlon(*p)), CELL) for p in probes]
    return [
        (ix, iy)
        for ix in range(-20, 21)
        for iy in range(-20, 21)
        if all(
            bucket_for(snapped_distance_m(p, (ix, iy), CELL)).label == label
            for p, label in zip(probe_cells, seen, strict=True)
        )
    ]


def test_an_attacker_probing_from_chosen_points_cannot_place_the_target_within_a_cell() -> None:
    # Probes every 2 degrees along rings at the two finest bucket edges, where a change of
    # answer says most, and every 10 m over a square around the target.
    probes = [
        (ring * math.cos(k * math.pi / 90), ring * math.sin(k * math.pi / 90))
        for ring in (b.max_m for b in BUCKETS[:2])
        for k in range(180)
    ] + [(dx, dy) for dx in range(-200, 201, 10) for dy in range(-200, 201, 10)]
    target = (137.0, 88.0)  # inside the cell [100, 150) x [50, 100)
    seen = observe(target, probes)
    assert len(set(seen)) >= 2, "the probe walk must cross a bucket edge to be a real attack"

    cells = locate(probes, seen)
    assert snap(*target, CELL) in cells
    corners = [
        ((ix + dx) * CELL, (iy + dy) * CELL) for ix, iy in cells for dx in (0, 1) for dy in (0, 1)
    ]
    estimate = (
        sum(CELL * (ix + 0.5) for ix, _ in cells) / len(cells),
        sum(CELL * (iy + 0.5) for _, iy in cells) / len(cells),
    )
    # The region the attacker cannot narrow further spans more than a cell...
    assert max(math.dist(a, b) for a in corners for b in corners) > CELL
    # ...so whatever it estimates, a position it cannot rule out is over half a cell away...
    assert max(math.dist(estimate, c) for c in corners) > CELL / 2
    # ...and targets anywhere in the target's cell produce exactly the same answers.
    for elsewhere in [(100.5, 50.5), (149.5, 99.5), (100.5, 99.5), (125.0, 75.0)]:
        assert observe(elsewhere, probes) == seen

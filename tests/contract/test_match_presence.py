"""The presence port's contract, run against the in-process engine and Redis alike.

Presence treats the positions it is given as the ones people are *shown* at (the match service
displaces and snaps them first): everything it answers is computed from them alone.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from disco.match.engine.geo import (
    METRES_PER_DEGREE_LAT,
    haversine_m,
    metres_per_degree_lon,
    shown_bucket,
    snap_latlon,
)
from disco.match.presence import Fix, FixChanged, MemoryPresence, Presence, Sighting
from disco.match.presence_redis import RedisPresence
from tests.support.backends import REDIS_URL, new_namespace

ORIGIN = (40.7128, -74.0060)
MakePresence = Callable[..., Presence]
Pair = tuple[str, str]


def place(east_m: float, north_m: float) -> tuple[float, float]:
    """The point that far east and north of ORIGIN."""
    return (
        ORIGIN[0] + north_m / METRES_PER_DEGREE_LAT,
        ORIGIN[1] + east_m / metres_per_degree_lon(ORIGIN[0]),
    )


def pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


async def delete_namespace(redis: Redis, namespace: str) -> None:
    keys = [key async for key in redis.scan_iter(match=f"{namespace}:*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
async def make_presence(request: pytest.FixtureRequest) -> AsyncIterator[MakePresence]:
    """Opens a fresh, empty presence (its own Redis namespace); all are closed afterwards."""
    opened: list[tuple[str, Presence]] = []

    def make(
        *, ttl_s: float = 1000.0, cooldown_s: float = 100.0, memory_s: float = 1e6
    ) -> Presence:
        namespace = new_namespace()
        presence: Presence
        if request.param == "memory":
            presence = MemoryPresence(ttl_s=ttl_s, cooldown_s=cooldown_s, memory_s=memory_s)
        else:
            presence = RedisPresence(
                REDIS_URL, namespace, ttl_s=ttl_s, cooldown_s=cooldown_s, memory_s=memory_s
            )
        opened.append((namespace, presence))
        return presence

    try:
        yield make
    finally:
        for namespace, presence in opened:
            if isinstance(presence, RedisPresence):
                await delete_namespace(presence.redis, namespace)
            await presence.close()


@pytest.fixture
def presence(make_presence: MakePresence) -> Presence:
    return make_presence()


def expected_sighting(
    viewer: tuple[float, float], other: str, where: tuple[float, float]
) -> Sighting:
    return Sighting(other, shown_bucket(viewer, where))


def fix(where: tuple[float, float], at: float) -> Fix:
    """What presence remembers of a move at ``at`` with no device time and no slack given."""
    return Fix(where[0], where[1], at, at, 0.0)


async def test_an_encounter_is_announced_once_to_the_one_who_arrived(presence: Presence) -> None:
    assert await presence.move("a", *place(0, 0), 500, at=0) == []
    assert await presence.move("b", *place(100, 0), 500, at=1) == ["a"]
    assert await presence.move("b", *place(120, 0), 500, at=2) == []  # still together
    assert await presence.move("a", *place(10, 0), 500, at=3) == []  # the other side is silent
    assert await presence.move("c", *place(0, 2000), 500, at=4) == []  # nobody near c
    assert sorted(await presence.move("c", *place(50, 0), 500, at=5)) == ["a", "b"]


async def test_pairs_meeting_concurrently_are_announced_to_exactly_one_of_the_two(
    presence: Presence,
) -> None:
    pairs = [(f"left{i}", f"right{i}") for i in range(10)]
    for i, (left, right) in enumerate(pairs):  # far from everyone
        await presence.move(left, *place(5000 * i, 0), 100, at=0)
        await presence.move(right, *place(5000 * i, 3000), 100, at=0)

    # Each pair meets 40 m apart, half way: neither is in range of the other's old position.
    movers = [(i, side, user) for i, users in enumerate(pairs) for side, user in enumerate(users)]
    results = await asyncio.gather(
        *(
            presence.move(user, *place(5000 * i + 40 * side, 1500), 100, at=1)
            for i, side, user in movers
        )
    )

    announced = [
        pair(user, other)
        for (_, _, user), met in zip(movers, results, strict=True)
        for other in met
    ]
    assert sorted(announced) == sorted(pairs)  # each pair once, to one of its two movers


async def test_only_pairs_within_both_radii_are_in_range(presence: Presence) -> None:
    assert await presence.move("narrow", *place(0, 0), 30, at=0) == []
    assert await presence.move("wide", *place(100, 0), 1609, at=1) == []  # 100 m > 30 m
    assert await presence.nearby("narrow") == []
    assert await presence.nearby("wide") == []
    # 141 m from wide (both radii reach), 100 m from narrow (30 m does not).
    assert await presence.move("mid", *place(0, 100), 150, at=2) == ["wide"]
    assert [s.user_id for s in await presence.nearby("wide")] == ["mid"]
    assert [s.user_id for s in await presence.nearby("mid")] == ["wide"]
    assert await presence.nearby("narrow") == []
    # Widening the radius is a move too: both are now within both radii of narrow.
    assert sorted(await presence.move("narrow", *place(0, 0), 1609, at=3)) == ["mid", "wide"]
    # Narrowing it again ends those encounters; widening once more within the cool-down
    # brings them back silently.
    assert await presence.move("narrow", *place(0, 0), 30, at=4) == []
    assert await presence.nearby("narrow") == []
    assert await presence.move("narrow", *place(0, 0), 1609, at=5) == []
    assert len(await presence.nearby("narrow")) == 2


async def test_a_pair_apart_for_less_than_the_cool_down_meets_again_silently(
    make_presence: MakePresence,
) -> None:
    presence = make_presence(cooldown_s=100)
    here, near, far = place(0, 0), place(100, 0), place(1000, 0)
    await presence.move("a", *here, 500, at=0)
    assert await presence.move("b", *near, 500, at=1) == ["a"]
    assert await presence.move("b", *far, 500, at=10) == []  # apart from t=10
    assert await presence.move("b", *near, 500, at=50) == []  # 40 s apart: silent
    assert await presence.nearby("a") != []  # but together, all the same
    assert await presence.move("b", *far, 500, at=60) == []  # apart again from t=60
    assert await presence.move("a", *here, 500, at=100) == []
    assert await presence.move("b", *near, 500, at=159.5) == []  # 99.5 s: still too soon
    assert await presence.move("b", *far, 500, at=160) == []  # apart from t=160
    assert await presence.move("a", *here, 500, at=200) == []
    assert await presence.move("b", *near, 500, at=260) == ["a"]  # 100 s apart: announced
    assert await presence.move("a", *far, 500, at=270) == []
    assert await presence.move("a", *here, 500, at=370) == ["b"]  # the other one arrives


async def test_silent_users_expire_and_their_encounters_end_then(
    make_presence: MakePresence,
) -> None:
    presence = make_presence(ttl_s=30, cooldown_s=10)
    here, near = place(0, 0), place(20, 0)
    await presence.move("a", *here, 100, at=0)
    assert await presence.move("b", *near, 100, at=5) == ["a"]
    assert await presence.move("b", *near, 100, at=25) == []
    assert await presence.expire(29.9) == []
    assert await presence.expire(30) == ["a"]  # silent since t=0: gone, apart from t=30
    assert await presence.expire(31) == []  # reported once
    assert not await presence.present("a")
    assert await presence.last_fix("a") == fix(here, 0)  # remembered: the speed check's memory
    assert await presence.nearby("a") == []
    assert await presence.nearby("b") == []
    assert await presence.bucket("b", "a") is None
    assert await presence.move("a", *here, 100, at=39) == []  # 9 s apart: within the cool-down
    await presence.remove("a", at=40)  # apart from t=40
    assert await presence.move("b", *near, 100, at=45) == []
    assert await presence.move("a", *here, 100, at=50) == ["b"]

    # A user dropped while someone else moved is still reported by the next expire(), once.
    assert await presence.move("b", *near, 100, at=100) == []  # a silent since t=50: gone
    assert await presence.nearby("b") == []
    assert await presence.expire(101) == ["a"]
    assert await presence.expire(102) == []
    # Unless they came back in the meantime.
    await presence.move("c", *place(5000, 0), 100, at=103)
    assert await presence.move("b", *near, 100, at=140) == []  # c silent since 103: gone
    await presence.move("c", *place(5000, 0), 100, at=141)
    assert await presence.expire(142) == []
    assert await presence.last_fix("c") == fix(place(5000, 0), 141)


async def test_a_removed_user_is_gone_at_once(make_presence: MakePresence) -> None:
    presence = make_presence(cooldown_s=100)
    await presence.move("a", *place(0, 0), 500, at=0)
    assert await presence.move("b", *place(100, 0), 500, at=1) == ["a"]
    await presence.remove("a", at=2)
    assert not await presence.present("a")
    assert await presence.last_fix("a") == fix(place(0, 0), 0)
    assert await presence.nearby("a") == []
    assert await presence.nearby("b") == []
    assert await presence.bucket("b", "a") is None
    await presence.remove("a", at=3)  # removing who is gone is fine
    await presence.remove("nobody", at=3)
    assert await presence.expire(5000) == ["b"]  # only b was ever silent
    assert await presence.move("b", *place(100, 0), 500, at=5001) == []
    assert await presence.move("a", *place(0, 0), 500, at=5002) == ["b"]  # long apart


async def test_everyone_present_is_listed_until_they_leave(make_presence: MakePresence) -> None:
    presence = make_presence(ttl_s=100)
    assert await presence.everyone() == []
    await presence.move("a", *place(0, 0), 500, at=0)
    await presence.move("b", *place(5000, 0), 500, at=1)
    await presence.move("c", *place(10, 0), 500, at=1)
    await presence.move("d", *place(20, 0), 500, at=1)
    await presence.remove("c", at=2)
    await presence.forget("d", at=2)
    assert sorted(await presence.everyone()) == ["a", "b"]
    await presence.move("b", *place(5000, 0), 500, at=150)  # a silent for longer than ttl_s
    assert await presence.everyone() == ["b"]


async def test_nearby_lists_buckets_between_the_positions_given(presence: Presence) -> None:
    viewer = place(0, 0)
    others = {
        "beside": (place(10, 0), 1609),
        "down_the_road": (place(0, -300), 1609),
        "across_town": (place(700, 700), 1609),
        "short_sighted": (place(0, 400), 200),  # 400 m away, radius 200 m
    }
    await presence.move("viewer", *viewer, 1609, at=0)
    for t, (user, (where, radius)) in enumerate(others.items(), start=1):
        await presence.move(user, *where, radius, at=t)

    sightings = await presence.nearby("viewer")
    expected = {
        expected_sighting(viewer, user, where)
        for user, (where, _) in others.items()
        if user != "short_sighted"
    }
    assert len(sightings) == len(set(sightings)) == 3
    assert set(sightings) == expected
    labels = {s.user_id: s.bucket.label for s in sightings}
    assert labels == {
        "beside": "within 500 ft",
        "down_the_road": "within ¼ mile",
        "across_town": "within 1 mile",  # 990 m
    }
    for sighting in sightings:
        assert await presence.bucket("viewer", sighting.user_id) == sighting.bucket
        # One distance between two positions: both see the same bucket.
        assert await presence.bucket(sighting.user_id, "viewer") == sighting.bucket
    # A bucket needs both present, not in range: it describes distance, range is decided apart.
    assert await presence.bucket("viewer", "short_sighted") is not None
    assert await presence.bucket("viewer", "nobody") is None
    assert await presence.bucket("nobody", "viewer") is None
    assert await presence.nearby("nobody") == []


async def test_last_fix_is_the_latest_accepted_position(presence: Presence) -> None:
    assert await presence.last_fix("a") is None
    await presence.move("a", 40.7128, -74.006, 150, at=10.25)
    assert await presence.last_fix("a") == Fix(40.7128, -74.006, 10.25, 10.25, 0.0)
    await presence.move(
        "a", 40.71281234567891, -74.00612345678912, 150, at=11.5, taken_at=11.25, slack_m=42.5
    )
    assert await presence.last_fix("a") == Fix(
        40.71281234567891, -74.00612345678912, 11.5, 11.25, 42.5
    )


async def test_the_last_fix_outlives_presence_until_forgotten_or_too_old(
    make_presence: MakePresence,
) -> None:
    """Switching discovery off and on must not reset the speed check: leaving presence keeps
    the last fix; deleting the account forgets it; it goes by itself ``memory_s`` after it."""
    presence = make_presence(memory_s=100)
    await presence.move("a", *place(0, 0), 100, at=0)
    await presence.move("b", *place(10, 0), 100, at=0)
    await presence.remove("a", at=1)
    assert not await presence.present("a") and await presence.present("b")
    assert await presence.last_fix("a") == fix(place(0, 0), 0)
    await presence.forget("b", at=2)
    assert not await presence.present("b")
    assert await presence.last_fix("b") is None
    await presence.move("c", *place(5000, 0), 100, at=50)
    assert await presence.expire(99) == []
    assert await presence.last_fix("a") is not None
    assert await presence.expire(100) == []  # a's fix was 100 s old: gone (a had left already)
    assert await presence.last_fix("a") is None
    assert await presence.last_fix("c") == fix(place(5000, 0), 50)


async def test_a_move_placed_against_a_fix_that_is_no_longer_the_last_changes_nothing(
    make_presence: MakePresence,
) -> None:
    """Two match processes share presence: each recalls the fix it stored, and checks a move
    against it (``replaces``). The one whose copy is out of date gets FixChanged, and nothing
    moves: no position, no last fix, no encounter."""
    here, far = place(0, 0), place(5000, 0)
    presence = make_presence()
    assert await presence.move("b", *here, 500, at=0) == []
    assert await presence.move("a", *far, 500, at=0, replaces=None) == []
    stored = fix(far, 0)
    assert await presence.last_fix("a", recalled=True) == stored
    with pytest.raises(FixChanged):
        await presence.move("a", *here, 500, at=1, replaces=None)  # it has one now
    assert await presence.nearby("b") == []  # a did not come
    assert await presence.last_fix("a") == stored
    assert await presence.move("a", *here, 500, at=2, replaces=stored) == ["b"]
    with pytest.raises(FixChanged):
        await presence.move("a", *far, 500, at=3, replaces=stored)
    assert await presence.last_fix("a") == fix(here, 2)
    assert [s.user_id for s in await presence.nearby("b")] == ["a"]  # a did not leave
    await presence.forget("a", at=4)
    with pytest.raises(FixChanged):
        await presence.move("a", *here, 500, at=5, replaces=fix(here, 2))
    assert await presence.last_fix("a", recalled=True) is None
    assert not await presence.present("a")


async def test_a_fix_recalled_by_one_process_is_caught_when_another_moved_the_user() -> None:
    """On Redis each match process recalls the last fix it stored; another process's move makes
    that copy out of date, and a move placed against it is refused until it is read again."""
    namespace = new_namespace()
    first, second = (
        RedisPresence(REDIS_URL, namespace, ttl_s=1000, cooldown_s=100, memory_s=1e6)
        for _ in range(2)
    )
    try:
        await first.move("a", *place(0, 0), 500, at=0)
        recalled = await first.last_fix("a", recalled=True)
        assert recalled == fix(place(0, 0), 0)
        await second.move("a", *place(30, 0), 500, at=1)
        assert await first.last_fix("a", recalled=True) == recalled  # its own, out of date
        with pytest.raises(FixChanged):
            await first.move("a", *place(60, 0), 500, at=2, replaces=recalled)
        current = await first.last_fix("a", recalled=True)
        assert current == fix(place(30, 0), 1)  # the refused move made it ask again
        assert await first.move("a", *place(60, 0), 500, at=2, replaces=current) == []
        assert await second.last_fix("a") == fix(place(60, 0), 2)
    finally:
        await delete_namespace(first.redis, namespace)
        await first.close()
        await second.close()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((85.05, 13.4), (85.0472, 13.4)),  # next to the latitude limit, 311 m apart
        ((-17.7, 179.9995), (-17.7, -179.9995)),  # across the antimeridian, 106 m apart
        ((0.0, 180.0), (0.0, -179.999)),  # 180 and -180 are one meridian
        ((0.0, 179.999), (0.0, 180.0)),
        ((-85.05, -70.0), (-85.05, -69.99)),  # the far south, 96 m apart
    ],
)
async def test_any_place_discovery_reaches(
    presence: Presence, a: tuple[float, float], b: tuple[float, float]
) -> None:
    assert await presence.move("x", *place(0, 0), 1609, at=0) == []  # first, far away
    assert await presence.move("a", *a, 500, at=1) == []
    assert await presence.move("b", *b, 500, at=2) == ["a"]
    assert [s.user_id for s in await presence.nearby("a")] == ["b"]
    assert await presence.move("b", *b, haversine_m(*a, *b) - 2, at=3) == []
    assert await presence.nearby("a") == []


async def test_exactly_a_radius_apart_is_within_on_every_adapter(presence: Presence) -> None:
    """Shown positions are cell centres: near the equator consecutive rows line up, so people
    can be exactly 30 m (or 150 m) apart. "Within" takes the radius itself, whatever the
    rounding of either adapter's distance."""
    step = 30.0 / METRES_PER_DEGREE_LAT
    here = snap_latlon(0.2, 20.0, 30.0)
    for cells, radius in ((1, 30), (5, 150)):
        there = snap_latlon(here[0] + cells * step, here[1], 30.0)
        assert there[1] == here[1]  # the same column: exactly cells * 30 m apart
        assert haversine_m(*here, *there) == pytest.approx(30 * cells, abs=1e-6)
        await presence.move(f"a{cells}", *here, radius, at=cells)
        assert await presence.move(f"b{cells}", *there, radius, at=cells) == [f"a{cells}"]
        await presence.remove(f"a{cells}", at=cells)


@pytest.mark.parametrize(
    ("latitude", "longitude", "radius"),
    [
        (40.7, -74.0, 0),
        (40.7, -74.0, -5),
        (40.7, -74.0, 1610),
        (40.7, -74.0, math.nan),
        (math.nan, -74.0, 100),
        (89.0, -74.0, 100),
        (85.06, -74.0, 100),
        (40.7, 181.0, 100),
        (40.7, math.inf, 100),
    ],
)
async def test_an_impossible_fix_is_refused_and_changes_nothing(
    presence: Presence, latitude: float, longitude: float, radius: float
) -> None:
    await presence.move("b", *place(0, 0), 1609, at=0)
    with pytest.raises(ValueError):
        await presence.move("a", latitude, longitude, radius, at=1)
    assert await presence.last_fix("a") is None
    assert not await presence.present("a")
    assert await presence.nearby("b") == []
    assert await presence.move("a", *place(10, 0), 100, at=2) == ["b"]


# -- against a brute-force oracle ------------------------------------------------------------

# Adapters measure distance differently (the engine by chords in 3-D, Redis by haversine in Lua:
# both exact on the sphere, a micrometre apart): no pair is placed nearer its range's edge.
EDGE_BAND_M = 2.0
SQUARE_M = 2000.0
RADII = (30, 150, 500, 1609)


@dataclass
class Oracle:
    """The contract by brute force over every present user, on haversine distances."""

    ttl: float
    cooldown: float
    fixes: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    together: set[Pair] = field(default_factory=set)  # in range, so in an encounter
    apart_since: dict[Pair, float] = field(default_factory=dict)
    unreported: set[str] = field(default_factory=set)  # dropped for silence, not yet expired
    remembered: dict[str, Fix] = field(default_factory=dict)  # last fixes, present or not

    def gap_to_edge(self, a: tuple[float, float, float], b: str) -> float:
        lat, lon, radius, _ = self.fixes[b]
        return haversine_m(a[0], a[1], lat, lon) - min(a[2], radius)

    def neighbours(self, user: str) -> set[str]:
        lat, lon, radius, _ = self.fixes[user]
        return {
            other
            for other in self.fixes
            if other != user and self.gap_to_edge((lat, lon, radius), other) <= 0
        }

    def partners(self, user: str) -> set[str]:
        return {b if a == user else a for a, b in self.together if user in (a, b)}

    def _drop(self, user: str, at: float) -> None:
        del self.fixes[user]
        for other in self.partners(user):
            self.together.discard(pair(user, other))
            self.apart_since[pair(user, other)] = at

    def advance(self, now: float) -> None:
        last_seen = {user: fix[3] for user, fix in self.fixes.items()}
        for user in sorted(last_seen, key=last_seen.__getitem__):
            if last_seen[user] + self.ttl <= now:
                self._drop(user, last_seen[user] + self.ttl)
                self.unreported.add(user)

    def move(self, user: str, lat: float, lon: float, radius: float, at: float) -> set[str]:
        self.advance(at)
        self.unreported.discard(user)
        before = self.partners(user)
        self.fixes[user] = (lat, lon, radius, at)
        self.remembered[user] = fix((lat, lon), at)
        after = self.neighbours(user)
        for other in before - after:
            self.together.discard(pair(user, other))
            self.apart_since[pair(user, other)] = at
        met = set()
        for other in after - before:
            self.together.add(pair(user, other))
            apart_since = self.apart_since.pop(pair(user, other), None)
            if apart_since is None or at - apart_since >= self.cooldown:
                met.add(other)
        return met

    def remove(self, user: str, at: float) -> None:
        self.advance(at)
        self.unreported.discard(user)
        if user in self.fixes:
            self._drop(user, at)

    def expire(self, now: float) -> set[str]:
        self.advance(now)
        reported, self.unreported = self.unreported, set()
        return reported

    def sightings(self, user: str) -> set[Sighting]:
        lat, lon, _, _ = self.fixes[user]
        return {
            expected_sighting((lat, lon), other, self.fixes[other][:2])
            for other in self.neighbours(user)
        }


def clear_of_edges(oracle: Oracle, user: str, fix: tuple[float, float, float]) -> bool:
    return all(
        abs(oracle.gap_to_edge(fix, other)) >= EDGE_BAND_M
        for other in oracle.fixes
        if other != user
    )


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    ttl=st.floats(5.0, 60.0),
    cooldown=st.sampled_from([0.0, 10.0, 60.0]),
    pace=st.floats(0.3, 2.0),
)
async def test_announcements_equal_a_brute_force_oracle(
    make_presence: MakePresence, seed: int, ttl: float, cooldown: float, pace: float
) -> None:
    rng = random.Random(seed)
    presence = make_presence(ttl_s=ttl, cooldown_s=cooldown)
    oracle = Oracle(ttl=ttl, cooldown=cooldown)
    names = [f"u{i:02d}" for i in range(50)]
    where: dict[str, tuple[float, float]] = {}
    now = 0.0
    announced = 0
    for _ in range(300):
        now += rng.uniform(0.001, 2 * pace * ttl / len(names))  # each user every ~pace*ttl
        user = rng.choice(names)
        roll = rng.random()
        if roll < 0.04:
            await presence.remove(user, now)
            oracle.remove(user, now)
            assert not await presence.present(user)
            assert await presence.last_fix(user) == oracle.remembered.get(user)
            continue
        if roll < 0.08:
            assert set(await presence.expire(now)) == oracle.expire(now)
            continue
        oracle.advance(now)  # who the new fix must stay clear of: those still present
        radius = oracle.fixes[user][2] if user in oracle.fixes else float(RADII[0])
        if rng.random() < 0.2:
            radius = float(rng.choice(RADII))
        while True:
            if user in where and rng.random() < 0.9:
                step, angle = rng.uniform(0, 150), rng.uniform(0, 2 * math.pi)
                x = min(SQUARE_M, max(0.0, where[user][0] + step * math.cos(angle)))
                y = min(SQUARE_M, max(0.0, where[user][1] + step * math.sin(angle)))
            else:
                x, y = rng.uniform(0, SQUARE_M), rng.uniform(0, SQUARE_M)
            lat, lon = place(x, y)
            if clear_of_edges(oracle, user, (lat, lon, radius)):
                break
        where[user] = (x, y)

        got = await presence.move(user, lat, lon, radius, now)
        expected = oracle.move(user, lat, lon, radius, now)

        assert len(got) == len(set(got)), "a partner announced twice in one move"
        assert set(got) == expected
        assert set(await presence.nearby(user)) == oracle.sightings(user)
        announced += len(got)
    for user in names:
        assert await presence.present(user) is (user in oracle.fixes)
        assert await presence.last_fix(user) == oracle.remembered.get(user)
    assert announced > 0

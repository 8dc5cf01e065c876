"""RedisPresence shared by match processes: two instances, each on its own connections, one
namespace, moving users at the same time."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from disco.match.presence_redis import GC_MARGIN_S, RedisPresence
from tests.contract.test_match_presence import Pair, delete_namespace, fix, pair, place
from tests.support.backends import REDIS_URL, new_namespace

pytestmark = pytest.mark.real

TTL_S = 1000.0
COOLDOWN_S = 100.0
MEMORY_S = 3000.0
RADIUS_M = 500.0
GROUPS, PER_GROUP = 6, 8
USERS = [f"g{g}u{i}" for g in range(GROUPS) for i in range(PER_GROUP)]
Processes = tuple[RedisPresence, RedisPresence]


@pytest.fixture
def namespace() -> str:
    return new_namespace()


@pytest.fixture
async def processes(namespace: str) -> AsyncIterator[Processes]:
    one, other = (
        RedisPresence(REDIS_URL, namespace, ttl_s=TTL_S, cooldown_s=COOLDOWN_S, memory_s=MEMORY_S)
        for _ in range(2)
    )
    try:
        yield one, other
    finally:
        await delete_namespace(one.redis, namespace)
        await one.close()
        await other.close()


async def move_everyone(
    processes: Processes, positions: dict[str, tuple[float, float]], at: float
) -> list[Pair]:
    """Moves every user at once, alternately through each process; the pairs announced."""
    users = list(positions)
    results = await asyncio.gather(
        *(
            processes[i % 2].move(user, *positions[user], RADIUS_M, at)
            for i, user in enumerate(users)
        )
    )
    return [pair(user, other) for user, met in zip(users, results, strict=True) for other in met]


def spread() -> dict[str, tuple[float, float]]:
    """Everyone 3 km from everyone: nobody in range."""
    return {user: place(3000 * n, 0) for n, user in enumerate(USERS)}


def gathered(jitter_m: float) -> dict[str, tuple[float, float]]:
    """Each group within 100 m of itself, 10 km from the others and 20 km from ``spread``, so
    no one half way (moved while the other has not) is in range of anyone new."""
    return {
        user: place(10_000 * (n // PER_GROUP) + 10 * (n % PER_GROUP) + jitter_m, 20_000)
        for n, user in enumerate(USERS)
    }


GROUP_PAIRS = sorted(
    pair(a, b)
    for g in range(GROUPS)
    for a, b in itertools.combinations(USERS[g * PER_GROUP : (g + 1) * PER_GROUP], 2)
)


async def test_every_encounter_is_announced_once_in_total(processes: Processes) -> None:
    assert await move_everyone(processes, spread(), at=0) == []
    assert sorted(await move_everyone(processes, gathered(0), at=1)) == GROUP_PAIRS
    assert await move_everyone(processes, gathered(5), at=2) == []  # still together
    for user in USERS:
        assert len(await processes[1].nearby(user)) == PER_GROUP - 1

    assert await move_everyone(processes, spread(), at=3) == []  # apart from t=3
    assert await move_everyone(processes, gathered(0), at=50) == []  # back too soon
    assert await move_everyone(processes, spread(), at=60) == []  # apart from t=60
    assert sorted(await move_everyone(processes, gathered(0), at=160)) == GROUP_PAIRS


async def test_a_user_placed_through_one_process_is_seen_through_the_other(
    processes: Processes,
) -> None:
    one, other = processes
    assert await one.move("x", *place(0, 0), 500, at=0) == []
    assert await other.move("y", *place(100, 0), 500, at=1) == ["x"]
    assert [s.user_id for s in await other.nearby("y")] == ["x"]
    assert [s.user_id for s in await one.nearby("x")] == ["y"]
    assert await other.last_fix("x") == fix(place(0, 0), 0)
    bucket = await other.bucket("y", "x")
    assert bucket is not None
    assert await one.bucket("y", "x") == bucket
    assert [s.bucket for s in await other.nearby("y")] == [bucket]

    # Both processes expire at once: each silent user is reported by exactly one of them.
    await one.move("z", *place(5000, 0), 500, at=2)
    reported = await asyncio.gather(one.expire(TTL_S + 1.5), other.expire(TTL_S + 1.5))
    assert sorted(itertools.chain(*reported)) == ["x", "y"]
    assert await one.nearby("y") == []
    assert not await other.present("x")
    assert await other.last_fix("x") == fix(place(0, 0), 0)  # remembered, for the speed check
    assert await other.last_fix("z") == fix(place(5000, 0), 2)


async def test_no_key_outlives_its_use(processes: Processes, namespace: str) -> None:
    one, other = processes
    await one.move("a", *place(0, 0), 500, at=0)
    await other.move("b", *place(100, 0), 500, at=1)
    await other.move("b", *place(2000, 0), 500, at=2)  # a separation to remember
    await one.move("c", *place(9000, 0), 500, at=3)
    await other.expire(TTL_S + 0.5)  # a and b silent

    redis = one.redis
    ttls = {key: await redis.pttl(key) async for key in redis.scan_iter(match=f"{namespace}:*")}
    kinds = {key: key.split(":presence:")[1].split(":")[0] for key in ttls}
    assert {"geo", "state", "seen", "clock", "apart", "fix", "fixed"} <= set(kinds.values())
    assert all(ttl > 0 for ttl in ttls.values()), ttls  # -1 would be a key kept for ever
    for key, ttl in ttls.items():
        if kinds[key] in ("geo", "state", "seen"):  # where people are
            assert ttl <= (TTL_S + GC_MARGIN_S) * 1000
        elif kinds[key] in ("fix", "fixed"):  # where they were last, for the speed check
            assert ttl <= (MEMORY_S + GC_MARGIN_S) * 1000
        else:
            assert ttl <= (COOLDOWN_S + TTL_S + GC_MARGIN_S) * 1000

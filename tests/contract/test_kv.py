"""The key-value contract, run against the in-process store and Redis alike."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from disco.platform.kv import KeyValue
from disco.platform.kv.memory import MemoryKV
from disco.platform.kv.redis import RedisKV
from tests.support.backends import REDIS_URL
from tests.support.faults import Gate

Connect = Callable[[str], KeyValue]


@pytest.fixture(params=["memory", "redis"])
async def connect(request: pytest.FixtureRequest) -> AsyncIterator[Connect]:
    """Opens a store on a namespace; stores on one namespace share their keys."""
    opened: list[tuple[str, RedisKV]] = []
    memory: dict[str, MemoryKV] = {}

    def open_store(namespace: str) -> KeyValue:
        if request.param == "memory":
            return memory.setdefault(namespace, MemoryKV())
        store = RedisKV(REDIS_URL, namespace)
        opened.append((namespace, store))
        return store

    try:
        yield open_store
    finally:
        for namespace, store in opened:
            keys = [k async for k in store.redis.scan_iter(match=f"{namespace}:*")]
            if keys:
                await store.redis.delete(*keys)
            await store.close()


@pytest.fixture
def kv(connect: Connect) -> KeyValue:
    return connect(f"t{uuid.uuid4().hex[:10]}")


async def test_get_set_delete(kv: KeyValue) -> None:
    assert await kv.get("missing") is None
    assert await kv.set("k", "v1") is True
    assert await kv.get("k") == "v1"
    assert await kv.set("k", "v2") is True  # overwrites
    assert await kv.get("k") == "v2"
    await kv.delete("k")
    assert await kv.get("k") is None
    await kv.delete("k")  # deleting what is gone is fine
    await kv.ping()


async def test_a_key_expires_after_its_ttl(kv: KeyValue) -> None:
    await kv.set("short", "v", ttl=0.2)
    await kv.set("long", "v", ttl=60)
    await kv.set("forever", "v")
    assert await kv.get("short") == "v"
    values: dict[str, str | None] = {"short": "v"}

    async def read() -> None:
        while values["short"] is not None:
            values["short"] = await kv.get("short")
            await asyncio.sleep(0.05)

    await asyncio.wait_for(read(), timeout=5)
    assert await kv.get_many(["short", "long", "forever"]) == [None, "v", "v"]
    assert await kv.set("short", "again", only_new=True) is True  # expired counts as absent


async def test_only_new_keeps_the_first_value(kv: KeyValue) -> None:
    assert await kv.set("claim", "first", only_new=True) is True
    assert await kv.set("claim", "second", only_new=True) is False
    assert await kv.get("claim") == "first"


async def test_only_new_under_concurrency_has_one_winner(kv: KeyValue) -> None:
    results = await asyncio.gather(*(kv.set("race", str(i), only_new=True) for i in range(20)))
    assert results.count(True) == 1
    assert await kv.get("race") == str(results.index(True))


async def test_take_is_a_one_time_read(kv: KeyValue) -> None:
    await kv.set("token", "secret", ttl=60)
    assert await kv.take("token") == "secret"
    assert await kv.take("token") is None
    assert await kv.get("token") is None
    assert await kv.take("never-set") is None


async def test_take_under_concurrency_has_one_winner(kv: KeyValue) -> None:
    await kv.set("token", "secret", ttl=60)
    results = await asyncio.gather(*(kv.take("token") for _ in range(20)))
    assert results.count("secret") == 1
    assert results.count(None) == 19


async def test_get_many_keeps_the_order_and_gaps(kv: KeyValue) -> None:
    await kv.set("a", "1")
    await kv.set("c", "3")
    assert await kv.get_many(["c", "b", "a", "c"]) == ["3", None, "1", "3"]
    assert await kv.get_many([]) == []


async def test_hit_counts_within_a_window_then_starts_again(kv: KeyValue) -> None:
    counts = []
    for _ in range(3):
        count, left = await kv.hit("login:1.2.3.4", 1)
        assert 0 < left <= 1
        counts.append(count)
    assert counts == [1, 2, 3]
    assert (await kv.hit("login:5.6.7.8", 1))[0] == 1  # another key, another count
    restarted: list[int] = []

    async def until_reset() -> None:
        while not restarted or restarted[-1] != 1:
            restarted.append((await kv.hit("login:1.2.3.4", 1))[0])
            await asyncio.sleep(0.1)

    await asyncio.wait_for(until_reset(), timeout=5)
    assert restarted[-1] == 1
    assert restarted[:-1] == list(range(4, 4 + len(restarted) - 1))


async def test_hit_under_concurrency_counts_every_hit(kv: KeyValue) -> None:
    results = await asyncio.gather(*(kv.hit("burst", 60) for _ in range(50)))
    assert sorted(count for count, _ in results) == list(range(1, 51))


async def test_unhit_takes_a_hit_back_but_never_below_zero(kv: KeyValue) -> None:
    await kv.hit("tries", 60)
    await kv.hit("tries", 60)
    await kv.unhit("tries")
    count, left = await kv.hit("tries", 60)
    assert count == 2
    assert 0 < left <= 60  # the window kept its end
    for _ in range(3):
        await kv.unhit("tries")
    assert (await kv.hit("tries", 60))[0] == 1
    await kv.unhit("never-hit")
    assert await kv.get("never-hit") is None


async def test_concurrent_hits_and_unhits_balance(kv: KeyValue) -> None:
    await asyncio.gather(*(kv.hit("both", 60) for _ in range(40)))
    await asyncio.gather(
        *(kv.hit("both", 60) for _ in range(10)), *(kv.unhit("both") for _ in range(30))
    )
    assert (await kv.hit("both", 60))[0] == 21


async def test_a_counter_without_expiry_still_gets_a_window(kv: KeyValue) -> None:
    await kv.set("counter", "7")
    count, left = await kv.hit("counter", 30)
    assert count == 8
    assert 0 < left <= 30


async def test_namespaces_do_not_see_each_other(connect: Connect) -> None:
    ours = connect(f"t{uuid.uuid4().hex[:10]}")
    theirs = connect(f"t{uuid.uuid4().hex[:10]}")
    ours_again = connect(ours_namespace := f"t{uuid.uuid4().hex[:10]}")
    ours_too = connect(ours_namespace)
    await ours.set("shared", "ours")
    assert await theirs.get("shared") is None
    assert await theirs.set("shared", "theirs", only_new=True) is True
    assert await ours.get("shared") == "ours"
    assert await theirs.take("shared") == "theirs"
    assert await ours.get("shared") == "ours"
    assert (await ours.hit("n", 60))[0] == 1
    assert (await theirs.hit("n", 60))[0] == 1
    # Two connections on one namespace are one store.
    await ours_again.set("k", "v")
    assert await ours_too.get("k") == "v"


async def test_a_value_round_trips_unchanged(kv: KeyValue) -> None:
    value = 'ünïcode, "quotes", newlines\n and :colons:'
    await kv.set("odd key:with/characters", value)
    assert await kv.get("odd key:with/characters") == value


async def test_commands_go_on_when_the_server_dropped_every_connection() -> None:
    """As after a Redis restart: every pooled connection is dead. A read (a token check on
    every request) or a rate-limit count is not refused for it; redis-py replaces the
    connection."""
    async with Gate(6379).running() as gate:
        store = RedisKV(f"redis://127.0.0.1:{gate.port}/0", f"t{uuid.uuid4().hex[:10]}")
        try:
            await store.set("k", "v", ttl=60)
            await asyncio.gather(*(store.get_many(["k", "other"]) for _ in range(4)))
            gate.drop_all()
            await asyncio.sleep(0.1)  # the close has reached the client
            assert await store.get("k") == "v"
            assert await store.get_many(["k", "other"]) == ["v", None]
            await asyncio.gather(*(store.hit("count", 60) for _ in range(4)))
            gate.drop_all()
            await asyncio.sleep(0.1)
            assert (await store.hit("count", 60))[0] == 5
            await asyncio.gather(*(store.get("k") for _ in range(4)))
            gate.drop_all()
            await asyncio.sleep(0.1)
            await store.set("k", "w", ttl=60)
            assert await store.get("k") == "w"
        finally:
            await store.delete("count")
            await store.delete("k")
            await store.close()

"""The real KV: Redis, shared by every process (two gateways share one rate-limit budget)."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any, cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import AuthenticationError, BusyLoadingError, MaxConnectionsError
from redis.exceptions import ConnectionError as RedisConnectionError

__all__ = ["RedisKV", "redis_client"]

_NOT_A_DEAD_CONNECTION = (AuthenticationError, BusyLoadingError, MaxConnectionsError)

# INCR and start the window's expiry on its first hit, atomically; returns count and ms left.
# A counter found without an expiry (written by set() without a ttl) starts its window now
# rather than counting for ever.
_HIT = """
local n = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if n == 1 or left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {n, left}
"""

# DECR only a live counter above zero: a lapsed window stays lapsed, a count never goes negative.
_UNHIT = """
local n = tonumber(redis.call('GET', KEYS[1]))
if n and n > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
"""


def redis_client(url: str) -> Redis:
    """A client whose pool waits for a free connection (up to 5 s) when all 100 are busy,
    instead of failing the request at once as redis-py's default pool does under a burst."""
    pool = BlockingConnectionPool.from_url(
        url, max_connections=100, timeout=5, decode_responses=True, health_check_interval=30
    )
    return Redis.from_pool(pool)


async def _repeatable(command: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    """A command that means the same sent twice, sent once more if its connection turned out
    to be dead. After a Redis restart every pooled connection is, and each failed one request
    before redis-py dropped it (a 503 for every token check and rate-limit count on it, seen in
    the fault suite); the second try gets a new connection. Not for a command whose repeat
    would answer or count differently (``SET NX``, ``GETDEL``, a decrement): its first try may
    have been applied. Nor for a full pool, a refused login or a loading server: the same
    command would wait for, or meet, the same again."""
    try:
        return await command(*args, **kwargs)
    except RedisConnectionError as exc:
        if isinstance(exc, _NOT_A_DEAD_CONNECTION) or isinstance(exc.__cause__, TimeoutError):
            raise  # the pool found no free connection in time (its cause is the timeout)
        return await command(*args, **kwargs)


class RedisKV:
    def __init__(self, url: str, namespace: str) -> None:
        self.redis: Redis = redis_client(url)
        self._prefix = f"{namespace}:"
        self._hit: Any = self.redis.register_script(_HIT)
        self._unhit: Any = self.redis.register_script(_UNHIT)

    def _k(self, key: str) -> str:
        return self._prefix + key

    async def get(self, key: str) -> str | None:
        return cast(str | None, await _repeatable(self.redis.get, self._k(key)))

    async def get_many(self, keys: list[str]) -> list[str | None]:
        if not keys:
            return []
        keys = [self._k(k) for k in keys]
        return cast(list[str | None], await _repeatable(self.redis.mget, keys))

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_new: bool = False
    ) -> bool:
        # Redis refuses an expiry of 0 ms; round a tiny ttl up instead of failing.
        px = max(1, math.ceil(ttl * 1000)) if ttl is not None else None
        if only_new:  # sent twice, the second would find the first's key and answer "taken"
            return bool(await self.redis.set(self._k(key), value, px=px, nx=True))
        return bool(await _repeatable(self.redis.set, self._k(key), value, px=px))

    async def take(self, key: str) -> str | None:
        return cast(str | None, await self.redis.getdel(self._k(key)))

    async def delete(self, key: str) -> None:
        await _repeatable(self.redis.delete, self._k(key))

    async def hit(self, key: str, window_seconds: int) -> tuple[int, float]:
        # A hit counted twice (the first's answer lost) is one attempt's worth of a limit.
        keys, args = [self._k(key)], [window_seconds * 1000]
        count, pttl = await _repeatable(self._hit, keys=keys, args=args)
        return int(count), max(0.0, int(pttl) / 1000)

    async def unhit(self, key: str) -> None:
        await self._unhit(keys=[self._k(key)])  # sent twice, it would give back two

    async def ping(self) -> None:
        await self.redis.ping()

    async def close(self) -> None:
        await self.redis.aclose()

"""The real KV: Redis, shared by every process (two gateways share one rate-limit budget)."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any, cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError

__all__ = ["RedisKV", "redis_client"]

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


class RedisKV:
    def __init__(self, url: str, namespace: str) -> None:
        self.redis: Redis = redis_client(url)
        self._prefix = f"{namespace}:"
        self._hit: Any = self.redis.register_script(_HIT)
        self._unhit: Any = self.redis.register_script(_UNHIT)

    def _k(self, key: str) -> str:
        return self._prefix + key

    async def get(self, key: str) -> str | None:
        return cast(str | None, await self._read(self.redis.get, self._k(key)))

    async def get_many(self, keys: list[str]) -> list[str | None]:
        if not keys:
            return []
        return cast(list[str | None], await self._read(self.redis.mget, [self._k(k) for k in keys]))

    @staticmethod
    async def _read(command: Callable[[Any], Awaitable[Any]], argument: Any) -> Any:
        """A read, sent once more if its connection turned out to be dead: after a Redis
        restart every pooled connection is, and each failed one request (a 503 for every
        token check on it, seen in the fault suite) before redis-py dropped it; the second try
        gets a new one. Only reads: a write whose answer was lost may have been applied, and
        sent again (an INCR, a SET NX, a GETDEL) would not mean the same."""
        try:
            return await command(argument)
        except RedisConnectionError:
            return await command(argument)

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_new: bool = False
    ) -> bool:
        # Redis refuses an expiry of 0 ms; round a tiny ttl up instead of failing.
        px = max(1, math.ceil(ttl * 1000)) if ttl is not None else None
        return bool(await self.redis.set(self._k(key), value, px=px, nx=only_new))

    async def take(self, key: str) -> str | None:
        return cast(str | None, await self.redis.getdel(self._k(key)))

    async def delete(self, key: str) -> None:
        await self.redis.delete(self._k(key))

    async def hit(self, key: str, window_seconds: int) -> tuple[int, float]:
        count, pttl = await self._hit(keys=[self._k(key)], args=[window_seconds * 1000])
        return int(count), max(0.0, int(pttl) / 1000)

    async def unhit(self, key: str) -> None:
        await self._unhit(keys=[self._k(key)])

    async def ping(self) -> None:
        await self.redis.ping()

    async def close(self) -> None:
        await self.redis.aclose()

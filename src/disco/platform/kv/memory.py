"""The embedded KV: a dict with expiry, for one process."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["MemoryKV"]


class MemoryKV:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        self._now = monotonic
        self._writes = 0

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self._now():
            del self._data[key]
            return None
        return value

    def _sweep(self) -> None:
        # Amortised clean-up so expired keys that are never read again do not pile up.
        self._writes += 1
        if self._writes % 1024 == 0:
            now = self._now()
            for key in [k for k, (_, e) in self._data.items() if e is not None and e <= now]:
                del self._data[key]

    async def get(self, key: str) -> str | None:
        return self._live(key)

    async def get_many(self, keys: list[str]) -> list[str | None]:
        return [self._live(k) for k in keys]

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_new: bool = False
    ) -> bool:
        if only_new and self._live(key) is not None:
            return False
        self._data[key] = (value, self._now() + ttl if ttl is not None else None)
        self._sweep()
        return True

    async def take(self, key: str) -> str | None:
        value = self._live(key)
        self._data.pop(key, None)
        return value

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def hit(self, key: str, window_seconds: int) -> tuple[int, float]:
        now = self._now()
        current = self._live(key)
        if current is None:
            self._data[key] = ("1", now + window_seconds)
            self._sweep()
            return 1, float(window_seconds)
        count = int(current) + 1
        # A counter written by set() without a ttl starts its window now, as in Redis.
        expires = self._data[key][1]
        if expires is None:
            expires = now + window_seconds
        self._data[key] = (str(count), expires)
        return count, max(0.0, expires - now)

    async def unhit(self, key: str) -> None:
        current = self._live(key)
        if current is not None and int(current) > 0:
            self._data[key] = (str(int(current) - 1), self._data[key][1])

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._data.clear()

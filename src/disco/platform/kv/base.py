from __future__ import annotations

from typing import Protocol

__all__ = ["KeyValue"]


class KeyValue(Protocol):
    """Keys are namespaced by the adapter; values are strings; TTLs in seconds."""

    async def get(self, key: str) -> str | None: ...

    async def get_many(self, keys: list[str]) -> list[str | None]: ...

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_new: bool = False
    ) -> bool:
        """Store ``value``; with ``only_new``, only if the key is absent. True if stored."""

    async def take(self, key: str) -> str | None:
        """Delete the key and return what it held: a one-time read, safe under races."""

    async def delete(self, key: str) -> None: ...

    async def hit(self, key: str, window_seconds: int) -> tuple[int, float]:
        """Count one hit in the fixed window that ``key`` names; returns the count so far and
        the seconds until the window ends."""

    async def unhit(self, key: str) -> None:
        """Take back one hit of ``key`` (a counted attempt that was refused after all); never
        below zero, and the window keeps its end. Nothing happens to a key that is gone."""

    async def ping(self) -> None: ...

    async def close(self) -> None: ...

"""Who is online, and when each person was last seen, from the gateways' socket events.

Kept in the key-value store (shared by every chat process, never in SQL): ``online`` lives for
three renewal periods and every gateway renews the users it holds, so a gateway that dies
takes its users offline within that; ``last seen`` is written when a user goes offline.
"""

from __future__ import annotations

from datetime import datetime

from disco.platform.clock import Clock
from disco.platform.kv import KeyValue

__all__ = ["PresenceBook"]

_LAST_SEEN_TTL = 30 * 24 * 3600


class PresenceBook:
    def __init__(self, kv: KeyValue, clock: Clock, renew_seconds: float) -> None:
        self._kv = kv
        self._clock = clock
        self._ttl = 3 * renew_seconds

    @staticmethod
    def _online_key(user_id: str) -> str:
        return f"chat:online:{user_id}"

    @staticmethod
    def _seen_key(user_id: str) -> str:
        return f"chat:seen:{user_id}"

    async def came_online(self, user_id: str) -> bool:
        """Record the user online; True if they were not before (a change to tell peers)."""
        return await self._kv.set(self._online_key(user_id), "1", ttl=self._ttl, only_new=True)

    async def renew(self, user_id: str) -> None:
        await self._kv.set(self._online_key(user_id), "1", ttl=self._ttl)

    async def went_offline(self, user_id: str, at: datetime) -> bool:
        """Record the user offline as of ``at``; True if they were online (a change)."""
        was_online = await self._kv.take(self._online_key(user_id)) is not None
        await self._kv.set(self._seen_key(user_id), at.isoformat(), ttl=_LAST_SEEN_TTL)
        return was_online

    async def online(self, user_id: str) -> bool:
        return await self._kv.get(self._online_key(user_id)) is not None

    async def view(self, user_ids: list[str]) -> dict[str, tuple[bool, datetime | None]]:
        """(online, last seen) of each user."""
        if not user_ids:
            return {}
        keys = [k for u in user_ids for k in (self._online_key(u), self._seen_key(u))]
        values = await self._kv.get_many(keys)
        result: dict[str, tuple[bool, datetime | None]] = {}
        for i, user_id in enumerate(user_ids):
            online, seen = values[2 * i], values[2 * i + 1]
            result[user_id] = (online is not None, datetime.fromisoformat(seen) if seen else None)
        return result

    async def forget(self, user_id: str) -> None:
        await self._kv.delete(self._online_key(user_id))
        await self._kv.delete(self._seen_key(user_id))

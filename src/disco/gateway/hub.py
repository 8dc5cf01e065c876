"""The sockets open on this gateway process, and the queue each one's frames wait in."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Connection", "SocketHub"]


@dataclass(eq=False)
class Connection:
    """One open socket: frames for it queue here and a writer task sends them in order."""

    user_id: str
    outbox: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=256)
    )
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, frame: dict[str, Any]) -> bool:
        """Queue a frame; a client too slow to keep up is cut off rather than buffered forever."""
        try:
            self.outbox.put_nowait(frame)
        except asyncio.QueueFull:
            self.closed.set()
            return False
        return True


class SocketHub:
    """The sockets open on this gateway process, by user."""

    def __init__(self) -> None:
        self._by_user: dict[str, set[Connection]] = defaultdict(set)

    def add(self, connection: Connection) -> bool:
        """Hold ``connection``; True if it is its user's first socket here."""
        sockets = self._by_user[connection.user_id]
        sockets.add(connection)
        return len(sockets) == 1

    def remove(self, connection: Connection) -> bool:
        """Let ``connection`` go; True if it was its user's last socket here."""
        sockets = self._by_user.get(connection.user_id)
        if sockets is None or connection not in sockets:
            return False
        sockets.discard(connection)
        if sockets:
            return False
        del self._by_user[connection.user_id]
        return True

    def users(self) -> list[str]:
        return list(self._by_user)

    def deliver(self, user_ids: list[str], frame: dict[str, Any]) -> int:
        delivered = 0
        for user_id in user_ids:
            for connection in list(self._by_user.get(user_id, ())):
                delivered += connection.offer(frame)
        return delivered

    @property
    def count(self) -> int:
        return sum(len(s) for s in self._by_user.values())

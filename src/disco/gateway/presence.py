"""Telling the chat service who is connected: a user's first socket on this process opening,
their last one closing, and every few seconds all the users this process holds (so presence
held by a gateway that died runs out by itself).

Events are queued and published in order by one background task: a socket never waits for
the bus, and an ``online`` is never overtaken by the ``offline`` that follows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from disco.contracts.events.gateway import PresenceChanged, PresenceRenewed
from disco.gateway.hub import SocketHub
from disco.platform.bus import EventBus
from disco.platform.bus.ephemeral import publish_now
from disco.platform.clock import Clock
from disco.platform.db import PublishableEvent
from disco.platform.tasks import stop_task

__all__ = ["PresenceAnnouncer"]

log = logging.getLogger(__name__)

_QUEUE_LIMIT = 10_000


class PresenceAnnouncer:
    def __init__(self, bus: EventBus, clock: Clock, hub: SocketHub, renew_seconds: float) -> None:
        self._bus = bus
        self._clock = clock
        self._hub = hub
        self._renew = renew_seconds
        self._queue: asyncio.Queue[PublishableEvent] = asyncio.Queue(maxsize=_QUEUE_LIMIT)
        self._tasks: list[asyncio.Task[None]] = []

    def changed(self, user_id: str, online: bool) -> None:
        event = PresenceChanged(user_id=user_id, online=online, at=self._clock.now())
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            # The bus is far behind; the next renewal says who is online all the same.
            log.warning("presence queue full: a change of %s was dropped", user_id)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._publish(), name="presence-publish"),
            asyncio.create_task(self._renew_forever(), name="presence-renew"),
        ]

    async def stop(self) -> None:
        await asyncio.gather(*(stop_task(task) for task in self._tasks))
        self._tasks = []

    async def _publish(self) -> None:
        while True:
            event = await self._queue.get()
            await publish_now(self._bus, event, self._clock.now())

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self._renew)
            users = self._hub.users()
            if users:
                with contextlib.suppress(asyncio.QueueFull):
                    self._queue.put_nowait(PresenceRenewed(user_ids=users, at=self._clock.now()))

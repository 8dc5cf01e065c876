"""The in-process bus of the embedded run mode.

``publish`` returns once every subscriber has had a first go at the event (all of them side by
side), so the outbox row is only removed after local consumers ran: a crash before that leaves
the event in the outbox, to be delivered again on restart (the inbox drops the duplicate).
Later retries of a failing consumer run in the background, with the same backoff as the
RabbitMQ adapter. As there, the subscriptions to one group take turns, and a broadcast
subscription gets one try.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from disco.platform.bus.base import (
    RETRY_DELAYS,
    Envelope,
    Handler,
    Unreadable,
    check_group,
    publish_in_turn,
    topic_matches,
)
from disco.platform.observability import EVENTS_HANDLED

__all__ = ["MemoryBus"]

log = logging.getLogger(__name__)


@dataclass
class _Subscription:
    group: str
    patterns: list[str]
    handler: Handler
    broadcast: bool


class MemoryBus:
    def __init__(self, retry_delays: tuple[float, ...] = RETRY_DELAYS) -> None:
        self._subs: list[_Subscription] = []
        self._groups: dict[str, list[str]] = {}
        self._turns: defaultdict[str, itertools.count[int]] = defaultdict(itertools.count)
        self._retry_delays = retry_delays
        self._background: set[asyncio.Task[None]] = set()
        self.dead_letters: list[tuple[str, Envelope]] = []
        self._closed = False

    def subscribe(
        self, group: str, patterns: list[str], handler: Handler, *, broadcast: bool = False
    ) -> None:
        check_group(self._groups, group, patterns, broadcast=broadcast)
        self._subs.append(_Subscription(group, list(patterns), handler, broadcast))

    async def start(self) -> None:
        self._closed = False

    async def publish(self, envelope: Envelope) -> None:
        if self._closed:
            raise RuntimeError("bus is closed")
        targets: list[_Subscription] = []
        competing: dict[str, list[_Subscription]] = {}
        for sub in self._subs:
            if any(topic_matches(p, envelope.type) for p in sub.patterns):
                if sub.broadcast:
                    targets.append(sub)
                else:
                    competing.setdefault(sub.group, []).append(sub)
        for group, members in competing.items():
            targets.append(members[next(self._turns[group]) % len(members)])
        if len(targets) == 1:
            # Awaited directly: a task would cost the relay a turn of a busy event loop.
            await self._first_attempt(targets[0], envelope)
        elif targets:
            # Side by side, as the broker lets each group's queue go at its own pace: one
            # waiting for its database (a connection held by a burst) does not hold up the
            # others. It does not add throughput where they are busy on this thread's CPU.
            await asyncio.gather(*(self._first_attempt(sub, envelope) for sub in targets))

    async def publish_many(self, envelopes: Sequence[Envelope]) -> tuple[int, Exception | None]:
        return await publish_in_turn(self, envelopes)

    async def _first_attempt(self, sub: _Subscription, envelope: Envelope) -> None:
        if not await self._deliver(sub, envelope) and not sub.broadcast:
            task = asyncio.create_task(self._retry(sub, envelope))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _deliver(self, sub: _Subscription, envelope: Envelope) -> bool:
        """True when the event needs no other try: handled, or parked as unreadable."""
        try:
            await sub.handler(envelope)
        except Unreadable:
            log.exception(
                "unreadable %s %s for %s: dead-lettered", envelope.type, envelope.id, sub.group
            )
            EVENTS_HANDLED.labels(sub.group, envelope.type, "unreadable").inc()
            if not sub.broadcast:
                self.dead_letters.append((sub.group, envelope))
            return True
        except Exception:
            log.exception(
                "consumer %s failed on %s (attempt %d)", sub.group, envelope.type, envelope.attempt
            )
            EVENTS_HANDLED.labels(sub.group, envelope.type, "error").inc()
            return False
        EVENTS_HANDLED.labels(sub.group, envelope.type, "ok").inc()
        return True

    async def _retry(self, sub: _Subscription, envelope: Envelope) -> None:
        for attempt, delay in enumerate(self._retry_delays, start=2):
            await asyncio.sleep(delay)
            if await self._deliver(sub, replace(envelope, attempt=attempt)):
                return
        log.error("dead-lettered %s %s for %s", envelope.type, envelope.id, sub.group)
        self.dead_letters.append((sub.group, envelope))

    async def ping(self) -> None:
        if self._closed:
            raise RuntimeError("bus is closed")

    async def close(self) -> None:
        self._closed = True
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

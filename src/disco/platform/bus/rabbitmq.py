"""The RabbitMQ bus: a durable topic exchange, quorum queues, publisher confirms.

Per group ``G`` (names prefixed with the namespace ``N``):
- ``N.G``            quorum queue bound to the group's patterns; its consumers compete;
- ``N.G.retry.K``    one holding queue per backoff step K: a failed event waits there for
                     ``RETRY_DELAYS[K]`` seconds, then dead-letters back into ``N.G``;
- ``N.G.dead``       where an event lands after its last retry, for an operator to inspect.
A broadcast subscription gets an exclusive, auto-deleted queue per process instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)

from disco.platform.bus.base import RETRY_DELAYS, Envelope, Handler, Unreadable, check_group
from disco.platform.observability import EVENTS_HANDLED

__all__ = ["RabbitBus"]

log = logging.getLogger(__name__)
ATTEMPT_HEADER = "x-disco-attempt"


@dataclass
class _Subscription:
    group: str
    patterns: list[str]
    handler: Handler
    broadcast: bool


class RabbitBus:
    def __init__(
        self,
        url: str,
        namespace: str,
        *,
        prefetch: int = 64,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self._url = url
        self._ns = namespace
        self._prefetch = prefetch
        self._retry_delays = retry_delays
        self._subs: list[_Subscription] = []
        self._groups: dict[str, list[str]] = {}
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        # Durable queues this bus declared: what an operator (or a test run) deletes to tidy up.
        self.declared_queues: list[str] = []

    @property
    def exchange_name(self) -> str:
        return f"{self._ns}.events"

    def group_queues(self, group: str) -> tuple[str, str, list[str]]:
        """The names of a group's queues: main, dead-letter, and one per retry step."""
        name = f"{self._ns}.{group}"
        return name, f"{name}.dead", [f"{name}.retry.{i}" for i in range(len(self._retry_delays))]

    async def delete_topology(self, groups: Sequence[str] = ()) -> None:
        """Delete the exchange, every durable queue this bus declared, and the queues of
        ``groups`` that other processes declared in this namespace (for tear-down)."""
        names = list(self.declared_queues)
        for group in groups:
            main, dead, retries = self.group_queues(group)
            names += [main, dead, *retries]
        connection = await aio_pika.connect(self._url)
        try:
            channel = await connection.channel()
            for name in names:
                await channel.queue_delete(name)
            await channel.exchange_delete(self.exchange_name)
        finally:
            await connection.close()

    def subscribe(
        self, group: str, patterns: list[str], handler: Handler, *, broadcast: bool = False
    ) -> None:
        check_group(self._groups, group, patterns, broadcast=broadcast)
        self._subs.append(_Subscription(group, list(patterns), handler, broadcast))

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(
            self._url, client_properties={"connection_name": f"disco-{self._ns}"}
        )
        self._publish_channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await self._publish_channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        for sub in self._subs:
            await self._consume(sub)

    async def _consume(self, sub: _Subscription) -> None:
        assert self._connection is not None
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=self._prefetch)
        exchange = await channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        if sub.broadcast:
            queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        else:
            name, dead, retries = self.group_queues(sub.group)
            await channel.declare_queue(dead, durable=True, arguments={"x-queue-type": "quorum"})
            for retry, delay in zip(retries, self._retry_delays, strict=True):
                await channel.declare_queue(
                    retry,
                    durable=True,
                    arguments={
                        "x-message-ttl": int(delay * 1000),
                        "x-dead-letter-exchange": "",
                        "x-dead-letter-routing-key": name,
                    },
                )
            queue = await channel.declare_queue(
                name,
                durable=True,
                arguments={
                    "x-queue-type": "quorum",
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": dead,
                },
            )
            self.declared_queues += [name, dead, *retries]
        for pattern in sub.patterns:
            await queue.bind(exchange, routing_key=pattern)

        async def on_message(message: AbstractIncomingMessage) -> None:
            await self._handle(sub, channel, message)

        await queue.consume(on_message)

    async def _handle(
        self, sub: _Subscription, channel: AbstractChannel, message: AbstractIncomingMessage
    ) -> None:
        attempt = int(str((message.headers or {}).get(ATTEMPT_HEADER, 1)))
        try:
            envelope = Envelope.from_json(message.body, attempt)
        except (ValueError, KeyError, TypeError):
            log.error("unreadable message %s on %s: dead-lettered", message.message_id, sub.group)
            await message.reject(requeue=False)
            return
        try:
            await sub.handler(envelope)
        except Unreadable:
            EVENTS_HANDLED.labels(sub.group, envelope.type, "unreadable").inc()
            log.exception(
                "unreadable %s %s for %s: dead-lettered", envelope.type, envelope.id, sub.group
            )
            # A broadcast queue has no dead letters: the reject drops it, as its failures are.
            await message.reject(requeue=False)
            return
        except Exception:
            EVENTS_HANDLED.labels(sub.group, envelope.type, "error").inc()
            log.exception(
                "consumer %s failed on %s (attempt %d)", sub.group, envelope.type, attempt
            )
            if sub.broadcast:
                await message.ack()  # a push to a socket is worth one try, not a backlog
            elif attempt <= len(self._retry_delays):
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        message.body,
                        message_id=message.message_id,
                        type=message.type,
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        headers={ATTEMPT_HEADER: attempt + 1},
                    ),
                    routing_key=self.group_queues(sub.group)[2][attempt - 1],
                )
                await message.ack()
            else:
                log.error("dead-lettered %s %s for %s", envelope.type, envelope.id, sub.group)
                await message.reject(requeue=False)
            return
        EVENTS_HANDLED.labels(sub.group, envelope.type, "ok").inc()
        await message.ack()

    async def publish(self, envelope: Envelope) -> None:
        if self._exchange is None:
            raise RuntimeError("bus not started")
        message = aio_pika.Message(
            envelope.to_json(),
            message_id=envelope.id,
            type=envelope.type,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            timestamp=envelope.occurred_at,
        )
        # With confirms on, publish() returns when the broker has taken responsibility.
        await self._exchange.publish(message, routing_key=envelope.type, timeout=10)

    async def publish_many(self, envelopes: Sequence[Envelope]) -> tuple[int, Exception | None]:
        """All sent at once, their confirms awaited together: one at a time, each waited for
        a round trip and the broker's disk write, and under load for turns of a busy event
        loop (the outbox relay's 200 rows took most of a second). They still go out in order:
        the channel sends them in the order they queue for its lock, which is this one."""
        outcomes = await asyncio.gather(
            *(self.publish(envelope) for envelope in envelopes), return_exceptions=True
        )
        for count, outcome in enumerate(outcomes):
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, Exception):
                    raise outcome  # a cancellation is the caller's
                return count, outcome
        return len(envelopes), None

    async def ping(self) -> None:
        if self._connection is None or self._connection.is_closed:
            raise ConnectionError("RabbitMQ connection is closed")
        if self._publish_channel is None or self._publish_channel.is_closed:
            raise ConnectionError("RabbitMQ channel is closed")

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

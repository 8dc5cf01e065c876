"""The event bus contract, run against the in-process bus and RabbitMQ alike.

A "process" below is one bus connection: RabbitMQ gives each its own, all in one namespace;
the memory bus has a single process, so every call returns the same bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import aio_pika
import pytest

from disco.platform.bus import Envelope, EventBus, Handler, Unreadable
from disco.platform.bus.memory import MemoryBus
from disco.platform.bus.rabbitmq import RabbitBus
from tests.support.backends import AMQP_URL
from tests.support.poll import eventually

RETRY_DELAYS = (0.05, 0.1)
# Long enough for a delivery that should not happen to have arrived on a local broker.
SETTLE_SECONDS = 0.5


class Buses:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.namespace = f"t{uuid.uuid4().hex[:10]}"
        self._memory = MemoryBus(retry_delays=RETRY_DELAYS)
        self._rabbits: list[RabbitBus] = []
        self._groups: set[str] = set()

    def process(self) -> EventBus:
        if self.kind == "memory":
            return self._memory
        bus = RabbitBus(AMQP_URL, self.namespace, retry_delays=RETRY_DELAYS)
        self._rabbits.append(bus)
        return bus

    def subscribe(
        self,
        bus: EventBus,
        group: str,
        patterns: list[str],
        handler: Handler,
        *,
        broadcast: bool = False,
    ) -> None:
        self._groups.add(group)
        bus.subscribe(group, patterns, handler, broadcast=broadcast)

    async def start(self) -> None:
        for bus in self._rabbits or [self._memory]:
            await bus.start()

    async def dead_letters(self, group: str) -> list[str]:
        """Ids of the events dead-lettered for ``group`` so far (drained on RabbitMQ)."""
        if self.kind == "memory":
            return [envelope.id for g, envelope in self._memory.dead_letters if g == group]
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(f"{self.namespace}.{group}.dead", passive=True)
            ids = []
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                ids.append(Envelope.from_json(message.body).id)
            return ids

    async def parked(self, group: str, timeout: float = 10.0) -> list[str]:
        """The first dead letters of ``group``, once there are any."""
        async with asyncio.timeout(timeout):
            while not (dead := await self.dead_letters(group)):
                await asyncio.sleep(0.05)
        return dead

    async def close(self) -> None:
        await self._memory.close()
        for bus in self._rabbits:
            await bus.close()
        if self._rabbits:
            connection = await aio_pika.connect(AMQP_URL)
            async with connection:
                channel = await connection.channel()
                for group in self._groups:
                    name = f"{self.namespace}.{group}"
                    for queue in [name, f"{name}.dead"] + [
                        f"{name}.retry.{step}" for step in range(len(RETRY_DELAYS))
                    ]:
                        await channel.queue_delete(queue)
                await channel.exchange_delete(f"{self.namespace}.events")


@pytest.fixture(params=["memory", "rabbitmq"])
async def buses(request: pytest.FixtureRequest) -> AsyncIterator[Buses]:
    made = Buses(request.param)
    try:
        yield made
    finally:
        await made.close()


class Recorder:
    """A handler that records what it was given, failing its first ``failures`` attempts."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.seen: list[Envelope] = []

    async def __call__(self, envelope: Envelope) -> None:
        self.seen.append(envelope)
        if envelope.attempt <= self.failures:
            raise RuntimeError(f"failing attempt {envelope.attempt} on purpose")

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.seen]

    @property
    def types(self) -> list[str]:
        return [e.type for e in self.seen]


def event(event_type: str = "test.thing.happened", **payload: object) -> Envelope:
    return Envelope(str(uuid.uuid4()), event_type, 1, datetime.now(UTC), dict(payload))


async def test_an_envelope_arrives_whole(buses: Buses) -> None:
    bus = buses.process()
    got = Recorder()
    buses.subscribe(bus, "whole", ["test.#"], got)
    await buses.start()
    sent = event(answer=42, nested={"list": [1, "two"]})
    await bus.publish(sent)
    await eventually(lambda: len(got.seen) == 1)
    received = got.seen[0]
    assert received == sent
    assert received.occurred_at == sent.occurred_at
    assert received.attempt == 1


async def test_a_batch_goes_out_whole_and_in_order(buses: Buses) -> None:
    """The outbox relay's way to publish: the batch is confirmed together, and a consumer's
    queue holds it in the order given (on RabbitMQ read here straight off a queue of its own)."""
    bus = buses.process()
    got = Recorder()
    buses.subscribe(bus, "batch", ["test.#"], got)
    await buses.start()
    sent = [event(n=n) for n in range(200)]
    async with in_queue_order(buses, "test.#") as queued:
        assert await bus.publish_many(sent) == (200, None)
        await eventually(lambda: len(got.seen) == 200)
        assert sorted(got.ids) == sorted(e.id for e in sent)
        order = await queued(200) if queued is not None else got.ids
    assert order == [e.id for e in sent]


@contextlib.asynccontextmanager
async def in_queue_order(
    buses: Buses, pattern: str
) -> AsyncIterator[Callable[[int], Awaitable[list[str]]] | None]:
    """On RabbitMQ, a queue bound to the namespace's exchange for the block, and a function that
    reads the ids of the first ``count`` events it holds, in its order; None on the memory bus,
    whose consumers are called in publish order."""
    if buses.kind == "memory":
        yield None
        return
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(f"{buses.namespace}.events")
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, routing_key=pattern)

        async def first(count: int) -> list[str]:
            ids: list[str] = []
            async with asyncio.timeout(10):
                while len(ids) < count:
                    message = await queue.get(no_ack=True, fail=False)
                    if message is None:
                        await asyncio.sleep(0.05)
                    else:
                        ids.append(Envelope.from_json(message.body).id)
            return ids

        yield first


ROUTING_KEYS = [
    "quick.orange.rabbit",
    "lazy.orange.elephant",
    "quick.orange.fox",
    "lazy.brown.fox",
    "quick.brown.fox",
    "orange",
    "quick.orange.new.rabbit",
    "lazy.orange.new.rabbit",
    "lazy",
]
# From the RabbitMQ "Topics" tutorial, plus the two wildcards on their own.
ROUTES = {
    "q1": (["*.orange.*"], {"quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox"}),
    "q2": (
        ["*.*.rabbit", "lazy.#"],
        {
            "quick.orange.rabbit",
            "lazy.orange.elephant",
            "lazy.brown.fox",
            "lazy.orange.new.rabbit",
            "lazy",
        },
    ),
    "one-word": (["*"], {"orange", "lazy"}),
    "everything": (["#"], set(ROUTING_KEYS)),
}


async def test_topic_patterns_route_as_amqp_does(buses: Buses) -> None:
    bus = buses.process()
    recorders = {group: Recorder() for group in ROUTES}
    for group, (patterns, _) in ROUTES.items():
        buses.subscribe(bus, group, patterns, recorders[group])
    await buses.start()
    for key in ROUTING_KEYS:
        await bus.publish(event(key))
    expected_total = sum(len(keys) for _, keys in ROUTES.values())
    await eventually(lambda: sum(len(r.seen) for r in recorders.values()) >= expected_total)
    await asyncio.sleep(SETTLE_SECONDS)
    for group, (_, keys) in ROUTES.items():
        # Each matching event once, even when two of the group's patterns match it.
        assert sorted(recorders[group].types) == sorted(keys), group


async def test_every_group_gets_its_own_copy(buses: Buses) -> None:
    bus = buses.process()
    audit, mailer = Recorder(), Recorder()
    buses.subscribe(bus, "audit", ["test.#"], audit)
    buses.subscribe(bus, "mailer", ["test.thing.*"], mailer)
    await buses.start()
    sent = [event() for _ in range(5)]
    for envelope in sent:
        await bus.publish(envelope)
    await eventually(lambda: len(audit.seen) == 5 and len(mailer.seen) == 5)
    await asyncio.sleep(SETTLE_SECONDS)
    assert sorted(audit.ids) == sorted(mailer.ids) == sorted(e.id for e in sent)


async def test_one_groups_slow_handler_does_not_hold_up_another_group(buses: Buses) -> None:
    """Each consuming service keeps its own pace: one still applying an event (the match
    service behind its one SQLite connection, say) does not delay the others'. The slow group
    here finishes only once the other group has had the event."""
    bus = buses.process()
    fast = Recorder()
    fast_has_it = asyncio.Event()
    finished: list[str] = []

    async def slow(envelope: Envelope) -> None:
        await asyncio.wait_for(fast_has_it.wait(), timeout=10)
        finished.append(envelope.id)

    async def quick(envelope: Envelope) -> None:
        await fast(envelope)
        fast_has_it.set()

    buses.subscribe(bus, "slow", ["test.#"], slow)
    buses.subscribe(bus, "fast", ["test.#"], quick)
    await buses.start()
    sent = event()
    publishing = asyncio.create_task(bus.publish(sent))
    await eventually(lambda: fast.ids == [sent.id], timeout=5)
    await eventually(lambda: finished == [sent.id], timeout=5)
    await publishing


async def test_consumers_of_one_group_share_its_events(buses: Buses) -> None:
    first, second = buses.process(), buses.process()
    one, other = Recorder(), Recorder()
    buses.subscribe(first, "workers", ["test.#"], one)
    buses.subscribe(second, "workers", ["test.#"], other)
    await buses.start()
    sent = [event() for _ in range(20)]
    for envelope in sent:
        await first.publish(envelope)
    await eventually(lambda: len(one.seen) + len(other.seen) >= 20)
    await asyncio.sleep(SETTLE_SECONDS)
    assert sorted(one.ids + other.ids) == sorted(e.id for e in sent)  # each exactly once
    assert one.seen and other.seen


async def test_broadcast_reaches_every_process(buses: Buses) -> None:
    first, second = buses.process(), buses.process()
    here, there, worker = Recorder(), Recorder(), Recorder()
    buses.subscribe(first, "gateway", ["realtime.#"], here, broadcast=True)
    buses.subscribe(second, "gateway", ["realtime.#"], there, broadcast=True)
    buses.subscribe(second, "worker", ["realtime.#"], worker)
    await buses.start()
    sent = [event("realtime.push.requested") for _ in range(3)]
    for envelope in sent:
        await second.publish(envelope)
    await eventually(lambda: len(here.seen) == len(there.seen) == len(worker.seen) == 3)
    await asyncio.sleep(SETTLE_SECONDS)
    assert here.ids == there.ids == worker.ids == [e.id for e in sent]


async def test_a_failing_handler_gets_the_event_again_until_it_succeeds(buses: Buses) -> None:
    bus = buses.process()
    flaky, steady = Recorder(failures=2), Recorder()
    buses.subscribe(bus, "flaky", ["test.#"], flaky)
    buses.subscribe(bus, "steady", ["test.#"], steady)
    await buses.start()
    sent = event()
    await bus.publish(sent)
    await eventually(lambda: len(flaky.seen) == 3)
    await asyncio.sleep(SETTLE_SECONDS)
    assert flaky.ids == [sent.id] * 3
    assert [e.attempt for e in flaky.seen] == [1, 2, 3]
    assert [e.attempt for e in steady.seen] == [1]  # the other group is not held up
    assert await buses.dead_letters("flaky") == []


async def test_a_handler_that_always_fails_ends_in_the_dead_letters(buses: Buses) -> None:
    bus = buses.process()
    broken = Recorder(failures=1000)
    buses.subscribe(bus, "broken", ["test.#"], broken)
    await buses.start()
    sent = event()
    await bus.publish(sent)
    await eventually(lambda: len(broken.seen) == 1 + len(RETRY_DELAYS))
    dead = await buses.parked("broken")
    assert dead == [sent.id]
    await asyncio.sleep(SETTLE_SECONDS)
    assert [e.attempt for e in broken.seen] == [1, 2, 3]


async def test_an_event_its_handler_calls_unreadable_is_parked_at_once(buses: Buses) -> None:
    bus = buses.process()
    seen: list[Envelope] = []

    async def refuse(envelope: Envelope) -> None:
        seen.append(envelope)
        raise Unreadable("a payload that does not fit")

    buses.subscribe(bus, "picky", ["test.#"], refuse)
    await buses.start()
    sent = event()
    await bus.publish(sent)
    dead = await buses.parked("picky")
    await asyncio.sleep(SETTLE_SECONDS + max(RETRY_DELAYS))
    assert dead == [sent.id]
    assert [e.attempt for e in seen] == [1]  # never retried


async def test_a_failed_broadcast_is_not_retried(buses: Buses) -> None:
    bus = buses.process()
    broken, steady = Recorder(failures=1000), Recorder()
    buses.subscribe(bus, "push", ["realtime.#"], broken, broadcast=True)
    buses.subscribe(bus, "push-ok", ["realtime.#"], steady, broadcast=True)
    await buses.start()
    first, second = event("realtime.push.requested"), event("realtime.push.requested")
    await bus.publish(first)
    await bus.publish(second)
    await eventually(lambda: len(steady.seen) == 2 and len(broken.seen) >= 2)
    await asyncio.sleep(SETTLE_SECONDS + max(RETRY_DELAYS))
    assert broken.ids == [first.id, second.id]


async def test_one_group_cannot_take_two_sets_of_patterns(buses: Buses) -> None:
    bus = buses.process()
    buses.subscribe(bus, "mixed", ["auth.#"], Recorder())
    buses.subscribe(bus, "mixed", ["auth.#"], Recorder())  # one more consumer: fine
    with pytest.raises(ValueError, match="mixed"):
        buses.subscribe(bus, "mixed", ["auth.user.registered"], Recorder())

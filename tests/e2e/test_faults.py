"""The fault suite: real traffic through ``disco cluster`` on the real backends while one thing
after another fails, counting for each scenario what was sent, delivered, lost and duplicated.

Traffic (tests/support/traffic.py), all the time: sign-ups (each with its verification mail),
emergency alerts and missed check-ins (each mailing the person's emergency contact), and chat
messages; after each fault, two new people meet through discovery. Faults, one per test: every
process killed with SIGKILL in turn, RabbitMQ, PostgreSQL and Redis restarted, the safety
service cut off from the broker for 30 s, and poison messages on its queue.

Asserted for every scenario: lost = 0 and duplicated = 0 for everything the API acknowledged
(a mail counts once per Message-ID: the copy a killed sender may send again is the same
message, and is counted apart as "resent"). The table is printed at the end of the module and
kept in docs/reliability.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime

import aio_pika
import pytest

from disco.client import DiscoClient
from disco.platform.bus import Envelope
from disco.platform.db import new_id
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import AMQP_URL
from tests.support.chat import room_of
from tests.support.cluster import Cluster, meet, running_cluster
from tests.support.faults import Gate, restart_server, start_every_server
from tests.support.mailbox import Mailbox
from tests.support.traffic import Person, Tally, Traffic, with_confirmed_contact

# A scenario takes one to three minutes: traffic, the fault, and up to two to settle.
pytestmark = [pytest.mark.real, pytest.mark.timeout(900)]

TRAFFIC_BEFORE_AND_AFTER_SECONDS = 3.0
PARTITION_SECONDS = 30.0
SETTLE_SECONDS = 120.0  # the longest anything acknowledged may take to arrive after a fault
Row = tuple[str, str, Tally]


@pytest.fixture(scope="module", autouse=True)
def servers_come_back() -> Iterator[None]:
    """The servers are the machine's own: whatever happened here, they are up again after."""
    yield
    start_every_server()


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
async def gate() -> AsyncIterator[Gate]:
    async with Gate(5672).running() as running:
        yield running


@pytest.fixture(scope="module")
async def cluster(
    tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox, gate: Gate
) -> AsyncIterator[Cluster]:
    async with running_cluster(
        tmp_path_factory.mktemp("faults"),
        DISCO_SMTP_URL=mailbox.url,
        DISCO_AMQP_URL=f"amqp://guest:guest@127.0.0.1:{gate.port}/",
        # A check-in's contacts are told a second after it was missed, not ten minutes.
        DISCO_CHECKIN_REMINDER_SECONDS="0",
        DISCO_CHECKIN_GRACE_SECONDS="1",
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def chat(cluster: Cluster) -> AsyncIterator[tuple[Person, str]]:
    """A person and their room with someone they matched through discovery."""
    gateway = cluster.gateways[0]
    async with DiscoClient(gateway) as ada, DiscoClient(gateway) as bob:
        await ada.signup(unique_email("fault-ada"), PASSWORD, "Ada", "Fault")
        await bob.signup(unique_email("fault-bob"), PASSWORD, "Bob", "Fault")
        room = (await room_of(ada, await meet(ada, bob, (48.1351, 11.5820))))["id"]
        person = Person(cluster.gateways, "Ada")
        for client in person.clients:
            client.token, client.refresh_token = ada.token, ada.refresh_token
        yield person, room
        await person.close()


@pytest.fixture(scope="module")
def table(request: pytest.FixtureRequest) -> Iterator[list[Row]]:
    rows: list[Row] = []
    yield rows
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None or capture is None or not rows:
        return
    with capture.global_and_fixture_disabled():  # in the run's output, not a captured section
        reporter.write_line("\nfault suite (sent / delivered / lost / duplicated / resent):")
        for scenario, kind, t in rows:
            line = f"| {scenario} | {kind} | {t.sent} | {t.delivered} | {len(t.lost)} |"
            reporter.write_line(f"{line} {len(t.duplicated)} | {t.resent} |")


async def _under_traffic(
    cluster: Cluster,
    mailbox: Mailbox,
    chat: tuple[Person, str],
    table: list[Row],
    scenario: str,
    fault: Callable[[], Awaitable[None]],
) -> None:
    gateways = cluster.gateways
    people = await asyncio.gather(
        *(with_confirmed_contact(gateways, mailbox, f"Walker{n}") for n in range(3))
    )
    traffic = Traffic(gateways, mailbox, list(people), chat, scenario)
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(traffic.run())
            await asyncio.sleep(TRAFFIC_BEFORE_AND_AFTER_SECONDS)
            await fault()
            await asyncio.sleep(TRAFFIC_BEFORE_AND_AFTER_SECONDS)
            traffic.stop.set()
        await cluster.wait_ready()
        await traffic.settle(SETTLE_SECONDS)
    finally:
        for person in people:
            await person.close()
        await traffic.close()
    # Discovery after the fault: two new people near each other are told, and can match.
    async with DiscoClient(gateways[0]) as one, DiscoClient(gateways[1]) as other:
        await one.signup(unique_email("fault-meet"), PASSWORD, "Meet", "One")
        await other.signup(unique_email("fault-meet"), PASSWORD, "Meet", "Other")
        await meet(one, other, (50.0 + len(table) * 0.05, 8.0))
    table.extend((scenario, kind, tally) for kind, tally in traffic.ledger.items())
    for kind, tally in traffic.ledger.items():
        assert tally.sent > 0, f"{scenario}: no {kind} was acknowledged during the fault"
        assert (tally.lost, tally.duplicated) == ([], []), (scenario, kind, tally)
        assert tally.delivered == tally.sent, (scenario, kind, tally)


async def test_every_process_killed_in_turn(
    cluster: Cluster, mailbox: Mailbox, chat: tuple[Person, str], table: list[Row]
) -> None:
    async def kill_each() -> None:
        # The five services, then both gateways.
        for process in sorted(cluster.processes(), key=lambda p: (p[0] == "gateway", p)):
            await cluster.kill_and_wait(process)
            await asyncio.sleep(1.0)

    await _under_traffic(cluster, mailbox, chat, table, "SIGKILL each process", kill_each)


@pytest.mark.parametrize(
    ("server", "down_seconds"), [("rabbitmq", 5.0), ("postgresql", 5.0), ("redis", 3.0)]
)
async def test_a_server_restarted(
    cluster: Cluster,
    mailbox: Mailbox,
    chat: tuple[Person, str],
    table: list[Row],
    server: str,
    down_seconds: float,
) -> None:
    async def restart() -> None:
        await restart_server(server, down_seconds)

    await _under_traffic(cluster, mailbox, chat, table, f"{server} restarted", restart)


async def test_the_safety_service_cut_off_from_the_broker(
    cluster: Cluster,
    mailbox: Mailbox,
    chat: tuple[Person, str],
    table: list[Row],
    gate: Gate,
) -> None:
    async def partition() -> None:
        await gate.cut(cluster.pids("safety"))
        try:
            await asyncio.sleep(PARTITION_SECONDS)
        finally:
            gate.heal()
        assert gate.refused > 0, "the safety service never tried to reconnect"

    await _under_traffic(cluster, mailbox, chat, table, "safety cut off 30 s", partition)


async def test_poison_messages_are_parked_and_the_queue_moves_on(
    cluster: Cluster, mailbox: Mailbox, chat: tuple[Person, str], table: list[Row]
) -> None:
    namespace = cluster.settings.namespace
    unreadable = b"{not json"
    impossible = Envelope(
        new_id(), "auth.notification.requested", 1, datetime.now(UTC), {"channel": "pigeon"}
    ).to_json()

    async def publish_poison() -> None:
        async with await aio_pika.connect(AMQP_URL) as connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(f"{namespace}.events", ensure=True)
            for body in (unreadable, impossible):
                await exchange.publish(
                    aio_pika.Message(body, message_id=new_id()),
                    routing_key="auth.notification.requested",
                )
            # Both parked at once, for an operator to read, not after minutes of retries: one
            # is not JSON, the other's payload does not fit its class (bus/base.py Unreadable).
            dead = await channel.declare_queue(f"{namespace}.safety.dead", passive=True)
            parked: list[bytes] = []
            async with asyncio.timeout(10):
                while len(parked) < 2:
                    message = await dead.get(no_ack=True, fail=False)
                    if message is None:
                        await asyncio.sleep(0.1)
                    else:
                        parked.append(message.body)
            assert sorted(parked) == sorted([unreadable, impossible]), parked

    await _under_traffic(cluster, mailbox, chat, table, "poison messages", publish_poison)

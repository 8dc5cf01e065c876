"""Notification dispatch across processes on PostgreSQL: two safety processes draining one
queue send every notification exactly once; a process stopped mid-queue leaves nothing
behind for its successor to lose or repeat; a process killed mid-send repeats only what was
in flight."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from disco.config import Settings
from disco.platform.clock import SystemClock
from disco.platform.db import Database
from disco.platform.security import FieldCipher
from disco.runtime.system import load_encryption_keys
from disco.safety.notify import Notification, NotificationDispatch, NotificationQueue, Priority
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.process import JOINING, DiscoProcess, process_env
from tests.support.providers import Provider

pytestmark = pytest.mark.real


def _provider() -> Iterator[Provider]:
    server = Provider()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def provider() -> Iterator[Provider]:
    """An SMS provider of the test's own (its failure switches and records are per test)."""
    yield from _provider()


@pytest.fixture
def second_provider() -> Iterator[Provider]:
    """Another, for a second safety process to send through: each one's share shows."""
    yield from _provider()


def dispatch_of(running: Running) -> NotificationDispatch:
    dispatch: NotificationDispatch = running.system.apps["safety"].state.notifications
    return dispatch


async def enqueue_all(running: Running, notifications: list[Notification]) -> None:
    dispatch = dispatch_of(running)
    async with dispatch.db.unit_of_work("test.enqueue") as uow:
        for n in notifications:
            assert await dispatch.queue.enqueue(uow, n)


def sms(number: str, run: str) -> Notification:
    return Notification(
        dedupe_key=f"{run}:sms:{number}",
        priority=Priority.EMERGENCY,
        channel="sms",
        recipient=number,
        subject="Alert",
        body="Someone you protect raised an alert.",
    )


def email(address: str, run: str, priority: Priority = Priority.EMERGENCY) -> Notification:
    return Notification(
        dedupe_key=f"{run}:email:{address}",
        priority=priority,
        channel="email",
        recipient=address,
        subject="Alert",
        body="Someone you protect raised an alert.",
    )


async def queue_states(settings: Settings) -> Counter[tuple[str, int]]:
    """(status, attempts) of every row, read straight from PostgreSQL."""
    assert settings.database_url
    conn = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch("select status, attempts from safety_notifications")
    finally:
        await conn.close()
    return Counter((r["status"], r["attempts"]) for r in rows)


async def all_sent_on_first_attempt(settings: Settings, count: int) -> None:
    async def settled() -> bool:
        return await queue_states(settings) == Counter({("sent", 1): count})

    try:
        await eventually(settled, timeout=30, what=f"all {count} rows sent on attempt 1")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; (status, attempts): {await queue_states(settings)}") from exc


async def test_two_safety_processes_send_every_notification_exactly_once(
    tmp_path: Path, mailbox: Mailbox, provider: Provider, second_provider: Provider
) -> None:
    providers = (provider, second_provider)
    for each in providers:
        each.delay_seconds = 0.01  # so both workers are busy at once
    run = uuid.uuid4().hex[:8]
    numbers = [f"+1555{n:07d}" for n in range(150)]
    addresses = [f"c{n}-{run}@example.com" for n in range(150)]
    async with backend_settings(
        "real",
        tmp_path,
        smtp_url=mailbox.url,
        sms_url=provider.url,
        sms_key=provider.key,
        notify_poll_seconds=0.05,
    ) as settings:
        # Each process sends its SMS through a provider of its own.
        second_settings = settings.model_copy(update={"sms_url": second_provider.url})
        async with (
            serve(settings, services=["safety"]) as first,
            serve(second_settings, services=["safety"]) as second,
        ):
            # Each process queues half of every channel; both drain the one table.
            notifications = [sms(n, run) for n in numbers] + [email(a, run) for a in addresses]
            await enqueue_all(first, notifications[0::2])
            await enqueue_all(second, notifications[1::2])

            await eventually(
                lambda: sum(len(p.accepted()) for p in providers) >= len(numbers),
                timeout=60,
                what="every SMS",
            )
            for address in addresses:
                await mailbox.wait_for(address, timeout=60)
            # Every row claimed once, whichever process claimed it.
            await all_sent_on_first_attempt(settings, 300)
        shares = [len(p.accepted()) for p in providers]
        assert all(share > 0 for share in shares), shares
        assert all(p.accepted_twice() == [] for p in providers), [p.refused() for p in providers]
        sent = [r.body["to"] for p in providers for r in p.accepted()]
        assert sorted(sent) == sorted(numbers)
        assert all(len(mailbox.to(a)) == 1 for a in addresses)


async def test_a_process_stopped_mid_queue_leaves_the_rest_to_the_next(
    tmp_path: Path, provider: Provider
) -> None:
    provider.delay_seconds = 0.05  # a slow provider, so the queue is still long at the stop
    run = uuid.uuid4().hex[:8]
    numbers = [f"+1666{n:07d}" for n in range(200)]
    async with backend_settings(
        "real",
        tmp_path,
        sms_url=provider.url,
        sms_key=provider.key,
        notify_concurrency=4,
        notify_poll_seconds=0.05,
    ) as settings:
        async with serve(settings, services=["safety"]) as first:
            await enqueue_all(first, [sms(n, run) for n in numbers])
            await provider.wait_for(20, timeout=30)
        # A clean stop lets the sends in flight finish and record their outcome.
        states = await queue_states(settings)
        sent_before = states[("sent", 1)]
        assert states[("queued", 0)] == len(numbers) - sent_before > 0
        assert sum(states.values()) == len(numbers)
        assert len(provider.accepted()) == sent_before

        async with serve(settings, services=["safety"]):
            await provider.wait_for(len(numbers), timeout=60)
            # Every row claimed once: the ones left by the first process, by the second.
            await all_sent_on_first_attempt(settings, len(numbers))
        assert provider.accepted_twice() == []
        assert sorted(r.body["to"] for r in provider.accepted()) == sorted(numbers)


async def test_a_slow_provider_does_not_hold_back_an_emergency_mail(
    tmp_path: Path, mailbox: Mailbox, provider: Provider
) -> None:
    provider.delay_seconds = 3.0  # a provider that takes its time over every message
    run = uuid.uuid4().hex[:8]
    async with backend_settings(
        "real", tmp_path, smtp_url=mailbox.url, sms_url=provider.url, sms_key=provider.key
    ) as settings:
        async with serve(settings, services=["safety"]) as running:
            await enqueue_all(running, [sms(f"+1777{n:07d}", run) for n in range(4)])

            async def in_flight() -> bool:
                return (await queue_states(settings))[("sending", 1)] == 4

            await eventually(in_flight, what="the SMS in flight")
            address = f"urgent-{run}@example.com"
            await enqueue_all(running, [email(address, run)])
            # Well before any SMS has been answered.
            await mailbox.wait_for(address, timeout=1.5)
            assert provider.accepted() == []
            await provider.wait_for(4, timeout=10)


# The settings a safety process takes from the test's.
_PROCESS_SETTINGS = (
    *JOINING,
    "sms_url",
    "sms_key",
    "notify_concurrency",
    "notify_poll_seconds",
    "notify_lease_seconds",
    "log_level",
)


def safety_process(settings: Settings, log: Path) -> DiscoProcess:
    """``disco serve safety``, so it can really be killed: sends in flight are cut off."""
    env = process_env(settings, _PROCESS_SETTINGS)
    return DiscoProcess(["serve", "safety"], env, log, ready_path="/healthz")


async def test_a_killed_process_only_repeats_what_was_in_flight(
    tmp_path: Path, provider: Provider
) -> None:
    """The documented window, shown: a SIGKILL while sends are in flight leaves those rows
    leased; the next process sends them again once the lease lapses (with the same
    idempotency key, for the provider to drop), and every other row exactly once."""
    provider.delay_seconds = 0.3
    run = uuid.uuid4().hex[:8]
    numbers = [f"+1888{n:07d}" for n in range(80)]
    async with backend_settings(
        "real",
        tmp_path,
        sms_url=provider.url,
        sms_key=provider.key,
        notify_concurrency=8,
        notify_poll_seconds=0.1,
        notify_lease_seconds=3.0,
    ) as settings:
        first = safety_process(settings, tmp_path / "first.log")
        second = safety_process(settings, tmp_path / "second.log")
        db = Database(settings.database_url_for("safety"), service="safety")
        try:
            await first.start()  # migrates, and makes the key file the queue below reads
            queue = NotificationQueue(
                FieldCipher(load_encryption_keys(settings)), SystemClock(), wake=lambda: None
            )
            async with db.unit_of_work("test.enqueue") as uow:
                for number in numbers:
                    assert await queue.enqueue(uow, sms(number, run))
            await provider.wait_for(16, timeout=30)

            async def mid_send() -> bool:
                # Sends take the provider 0.3 s: a row stays "sending" that long, so killing
                # right after seeing one cuts it off (a busy machine may be between claims).
                states = await queue_states(settings)
                return any(status == "sending" for status, _ in states)

            await eventually(mid_send, timeout=30, what="a send in flight")
            first.kill()
            states = await queue_states(settings)
            in_flight = sum(n for (status, _), n in states.items() if status == "sending")
            assert in_flight > 0, states  # the kill did cut sends off

            await second.start()
            await provider.wait_for(len(numbers), timeout=60)

            async def settled() -> bool:
                now = await queue_states(settings)
                return sum(n for (status, _), n in now.items() if status == "sent") == len(numbers)

            await eventually(settled, timeout=30, what="every row sent")
            final = await queue_states(settings)
            # Only the rows cut off mid-send were attempted twice...
            assert final == Counter({("sent", 1): len(numbers) - in_flight, ("sent", 2): in_flight})
            per_number = Counter(r.body["to"] for r in provider.accepted())
            assert set(per_number) == set(numbers)
            repeated = [number for number, n in per_number.items() if n > 1]
            # ...and only they can have reached the provider twice, under one idempotency key.
            assert len(repeated) <= in_flight
            for number in repeated:
                keys = {r.idempotency_key for r in provider.accepted_to("to", number)}
                assert len(keys) == 1
        finally:
            first.stop()
            second.stop()
            await db.dispose()


async def leases_of_rows_in_flight(settings: Settings) -> list[float]:
    """Seconds until each "sending" row's lease lapses, by PostgreSQL's clock."""
    assert settings.database_url
    conn = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch(
            "select extract(epoch from due_at - now()) as left"
            " from safety_notifications where status = 'sending'"
        )
    finally:
        await conn.close()
    return [float(r["left"]) for r in rows]


async def test_a_dead_workers_emergency_is_taken_again_within_seconds(
    tmp_path: Path, provider: Provider
) -> None:
    """With the default lease, a SIGKILL mid-send leaves rows leased for seconds, not minutes,
    and the next process sends them."""
    provider.delay_seconds = 2.0
    run = uuid.uuid4().hex[:8]
    numbers = [f"+1777{n:07d}" for n in range(6)]
    async with backend_settings(
        "real", tmp_path, sms_url=provider.url, sms_key=provider.key, notify_poll_seconds=0.1
    ) as settings:
        lease = settings.notify_lease_seconds
        assert lease <= 10  # the default under test
        first = safety_process(settings, tmp_path / "first.log")
        second = safety_process(settings, tmp_path / "second.log")
        db = Database(settings.database_url_for("safety"), service="safety")
        try:
            await first.start()
            queue = NotificationQueue(
                FieldCipher(load_encryption_keys(settings)), SystemClock(), wake=lambda: None
            )
            async with db.unit_of_work("test.enqueue") as uow:
                for number in numbers:
                    assert await queue.enqueue(uow, sms(number, run))

            async def all_in_flight() -> bool:
                return len(await leases_of_rows_in_flight(settings)) == len(numbers)

            await eventually(all_in_flight, timeout=30, what="every row being sent")
            first.kill()
            left = await leases_of_rows_in_flight(settings)
            assert len(left) == len(numbers) and max(left) <= lease + 1, left
            await second.start()
            await provider.wait_for(len(numbers), timeout=60)
            assert {r.body["to"] for r in provider.accepted()} == set(numbers)
        finally:
            first.stop()
            second.stop()
            await db.dispose()


async def test_a_slow_provider_is_never_sent_twice_by_two_live_workers(
    tmp_path: Path, provider: Provider
) -> None:
    """Each send takes twice the lease: the worker renews it while the send is in flight, so
    the other live worker never takes the row for a dead one's."""
    lease = 4.0
    provider.delay_seconds = 2 * lease
    run = uuid.uuid4().hex[:8]
    numbers = [f"+1666{n:07d}" for n in range(8)]
    async with backend_settings(
        "real",
        tmp_path,
        sms_url=provider.url,
        sms_key=provider.key,
        notify_concurrency=4,
        notify_poll_seconds=0.1,
        notify_lease_seconds=lease,
    ) as settings:
        first = safety_process(settings, tmp_path / "first.log")
        second = safety_process(settings, tmp_path / "second.log")
        db = Database(settings.database_url_for("safety"), service="safety")
        try:
            await first.start()
            await second.start()
            queue = NotificationQueue(
                FieldCipher(load_encryption_keys(settings)), SystemClock(), wake=lambda: None
            )
            async with db.unit_of_work("test.enqueue") as uow:
                for number in numbers:
                    assert await queue.enqueue(uow, sms(number, run))
            await all_sent_on_first_attempt(settings, len(numbers))
            per_number = Counter(r.body["to"] for r in provider.accepted())
            assert per_number == Counter(dict.fromkeys(numbers, 1))
        finally:
            first.stop()
            second.stop()
            await db.dispose()

"""Check-in escalation is durable: the schedule lives in SQL, so a safety process stopped or
killed and started again still escalates, on time and once; two safety processes on the same
database send each escalation once between them."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from disco.config import Settings
from disco.platform.clock import FrozenClock
from tests.support.backends import backend_settings, new_namespace, serve
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.process import JOINING, DiscoProcess, process_env
from tests.support.safety import Contact, with_contacts

GRACE = 300
SETTLE_SECONDS = 1.5  # several scheduler and dispatcher passes


def escalations(mailbox: Mailbox, contact: Contact) -> int:
    return sum("check-in" in m.subject for m in mailbox.to(contact.email))


async def exactly(mailbox: Mailbox, contact: Contact, count: int) -> None:
    await eventually(
        lambda: escalations(mailbox, contact) >= count, what=f"{count} escalation mails"
    )
    await asyncio.sleep(SETTLE_SECONDS)
    assert escalations(mailbox, contact) == count


async def test_a_restarted_system_escalates_what_came_due_while_it_was_down(
    backend: str, mailbox: Mailbox, tmp_path: Path
) -> None:
    clock = FrozenClock(datetime.now(UTC))
    async with backend_settings(
        backend, tmp_path, smtp_url=mailbox.url, checkin_grace_seconds=GRACE
    ) as settings:
        async with serve(settings, clock=clock) as running:
            ada, (contact,) = await with_contacts(running.url, mailbox, "Ada", count=1)
            due = (clock.now() + timedelta(seconds=600)).isoformat()
            for _ in range(5):
                await ada.post("/v1/safety/checkins", {"dueAt": due})
            await ada.close()
        clock.advance(600 + GRACE + 3600)  # down well past every deadline
        async with serve(settings, clock=clock):
            await exactly(mailbox, contact, 5)
        async with serve(settings, clock=clock):  # and a second restart sends nothing again
            clock.advance(3600)
            await asyncio.sleep(SETTLE_SECONDS)
            assert escalations(mailbox, contact) == 5


@pytest.mark.parametrize(
    "steps",
    [(60 + 40 + GRACE,), (3600, -7200, 7200)],
    ids=["past-every-deadline", "stepped-forward-back-and-forward"],
)
async def test_two_safety_processes_send_each_escalation_once(
    backend: str, mailbox: Mailbox, tmp_path: Path, steps: tuple[int, ...]
) -> None:
    """Each step moves the schedulers' clock at once; the second case steps it as a resumed VM
    or an NTP correction would: forward an hour past every deadline, back two hours (before
    any was due), forward again. Either way each check-in is escalated once."""
    clock = FrozenClock(datetime.now(UTC))
    async with backend_settings(
        backend, tmp_path, smtp_url=mailbox.url, checkin_grace_seconds=GRACE
    ) as settings:
        async with serve(settings, clock=clock) as running:
            ada, (contact,) = await with_contacts(running.url, mailbox, "Ada", count=1)
            for n in range(40):
                due = (clock.now() + timedelta(seconds=60 + n)).isoformat()
                await ada.post("/v1/safety/checkins", {"dueAt": due})
            await ada.close()
            # A second safety service on the same database; its own queues on the broker, so
            # the two compete only where it matters here, for the due rows.
            second = settings.model_copy(update={"namespace": new_namespace()})
            async with serve(second, services=["safety"], clock=clock):
                for step in steps:
                    clock.advance(step)
                    if step > 0:  # past every deadline
                        await exactly(mailbox, contact, 40)
                    else:
                        await asyncio.sleep(SETTLE_SECONDS)


def disco_up(settings: Settings, log: Path) -> DiscoProcess:
    """``disco up`` in a child process: killed with SIGKILL, started again."""
    env = process_env(
        settings,
        (*JOINING, "smtp_url", "checkin_grace_seconds"),
        checkin_reminder_seconds="0",
        log_level="WARNING",
        rate_limit_anonymous_per_minute="100000",
        rate_limit_user_per_minute="100000",
    )
    return DiscoProcess(["up"], env, log)


async def test_a_killed_process_escalates_on_time_after_a_restart(
    backend: str, mailbox: Mailbox, tmp_path: Path
) -> None:
    """Real time here (the clock of a child process cannot be driven): seconds, not minutes."""
    async with backend_settings(
        backend, tmp_path / "data", smtp_url=mailbox.url, checkin_grace_seconds=2
    ) as settings:
        disco = disco_up(settings, tmp_path / "disco.log")
        await disco.start()
        try:
            ada, (contact,) = await with_contacts(disco.url, mailbox, "Ada", count=1)
            due = datetime.now(UTC) + timedelta(seconds=3)
            await ada.post("/v1/safety/checkins", {"dueAt": due.isoformat()})
            await ada.close()
            disco.kill()
            deadline = due + timedelta(seconds=2)
            await asyncio.sleep((deadline - datetime.now(UTC)).total_seconds() + 1)
            assert escalations(mailbox, contact) == 0  # nobody was there to send it
            await disco.start()
            restarted = time.monotonic()
            await eventually(lambda: escalations(mailbox, contact) == 1, what="the escalation")
            # Overdue work is found on the first scheduler pass after start-up.
            assert time.monotonic() - restarted < 3
            await exactly(mailbox, contact, 1)
        finally:
            disco.kill()

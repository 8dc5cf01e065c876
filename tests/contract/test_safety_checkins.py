"""Check-ins: a reminder before, an escalation to the contacts after the grace, a dead-man's
switch while it runs. A test clock drives time; the scheduler polls in real time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from disco.client import DiscoClient
from disco.platform.clock import FrozenClock
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox
from tests.support.safety import Contact, with_contacts
from tests.support.users import person

CAFE = {"latitude": 48.853409, "longitude": 2.348800}
PARK = {"latitude": 48.846222, "longitude": 2.337160}
# Long enough for a few scheduler passes (it polls every 0.2 s of real time).
SCHEDULER_PASSES = 1.0


@dataclass
class Timed:
    running: Running
    clock: FrozenClock


@pytest.fixture
async def timed(backend: str, mailbox: Mailbox, tmp_path: Path) -> AsyncIterator[Timed]:
    """A system of this test's own, on a test clock, with the default check-in timings."""
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    async with backend_settings(
        backend,
        tmp_path,
        smtp_url=mailbox.url,
        checkin_reminder_seconds=900,
        checkin_grace_seconds=600,
        checkin_heartbeat_timeout_seconds=900,
    ) as settings:
        async with serve(settings, clock=clock) as running:
            yield Timed(running, clock)


def due_in(clock: FrozenClock, seconds: float) -> str:
    return (clock.now() + timedelta(seconds=seconds)).isoformat()


async def status(client: DiscoClient, checkin_id: str) -> str:
    (found,) = [
        c for c in (await client.get("/v1/safety/checkins"))["checkins"] if c["id"] == checkin_id
    ]
    return str(found["status"])


async def nothing_more_for(mailbox: Mailbox, contacts: list[Contact], count: int) -> None:
    """After a few scheduler passes, each contact still has only ``count`` mails."""
    await asyncio.sleep(SCHEDULER_PASSES)
    subjects = [[m.subject for m in mailbox.to(c.email)] for c in contacts]
    assert all(len(mine) == count for mine in subjects), subjects


async def test_a_missed_checkin_reminds_then_escalates_with_the_meetup_details(
    timed: Timed, mailbox: Mailbox
) -> None:
    ada, contacts = await with_contacts(timed.running.url, mailbox, "Ada", count=2)
    checkin = await ada.post(
        "/v1/safety/checkins",
        {
            "dueAt": due_in(timed.clock, 3600),
            "place": "Café Rouge, rue Saint-Jacques",
            "note": "First date with Sam",
            "location": CAFE,
        },
    )
    assert checkin["status"] == "ACTIVE" and checkin["place"].startswith("Café Rouge")
    async with ada.socket() as socket:
        timed.clock.advance(3600 - 900 - 1)
        await asyncio.sleep(SCHEDULER_PASSES)
        assert socket.frames.empty()
        timed.clock.advance(2)
        reminder = await socket.expect("checkin_reminder")
        assert reminder["data"]["checkinId"] == checkin["id"]

        timed.clock.advance(900 + 600 - 5)  # due, and nearly through the grace
        await nothing_more_for(mailbox, contacts, 1)
        assert await status(ada, checkin["id"]) == "ACTIVE"
        timed.clock.advance(5)
        for contact in contacts:
            (_, escalation) = await mailbox.wait_for(contact.email, 2)
            assert "Ada" in escalation.subject
            assert "Café Rouge" in escalation.body and "First date with Sam" in escalation.body
            assert "48.85341, 2.34880" in escalation.body
        told = await socket.expect("notification")
        assert told["data"]["kind"] == "checkin_escalated"
    (listed,) = (await ada.get("/v1/safety/checkins"))["checkins"]
    assert listed["status"] == "ESCALATED" and listed["escalationReason"] == "MISSED"

    # Late, but fine: the contacts are told to stand down. Escalated only once.
    confirmed = await ada.post(f"/v1/safety/checkins/{checkin['id']}/confirm")
    assert confirmed["status"] == "CONFIRMED"
    for contact in contacts:
        (_, _, all_clear) = await mailbox.wait_for(contact.email, 3)
        assert "checked in" in all_clear.subject
    # Let the dispatcher record those sends first: a jump of the clock past its lease while one
    # is in flight would (rightly, for a real stall) send it again.
    await asyncio.sleep(SCHEDULER_PASSES)
    timed.clock.advance(24 * 3600)
    await nothing_more_for(mailbox, contacts, 3)
    await ada.close()


async def test_silence_during_a_checkin_escalates_early(timed: Timed, mailbox: Mailbox) -> None:
    ada, contacts = await with_contacts(timed.running.url, mailbox, "Ada", count=1)
    checkin = await ada.post(
        "/v1/safety/checkins", {"dueAt": due_in(timed.clock, 3 * 3600), "location": CAFE}
    )
    path = f"/v1/safety/checkins/{checkin['id']}/heartbeat"
    await ada.post(path)
    for _ in range(3):  # each heartbeat holds the switch off for another 15 minutes
        timed.clock.advance(800)
        await ada.post(path, {"location": PARK})
    timed.clock.advance(899)
    await nothing_more_for(mailbox, contacts, 1)
    assert await status(ada, checkin["id"]) == "ACTIVE"
    timed.clock.advance(2)  # 15 minutes of silence, long before the due time
    (_, escalation) = await mailbox.wait_for(contacts[0].email, 2)
    assert "stopped checking in" in escalation.body
    assert "48.84622, 2.33716" in escalation.body  # where the last heartbeat was
    (listed,) = (await ada.get("/v1/safety/checkins"))["checkins"]
    assert listed["status"] == "ESCALATED" and listed["escalationReason"] == "SILENT"
    refused = await ada.request("POST", path)
    assert refused.status_code == 409
    await ada.close()


async def test_an_active_alert_gives_the_last_known_location(
    timed: Timed, mailbox: Mailbox
) -> None:
    ada, (contact,) = await with_contacts(timed.running.url, mailbox, "Ada", count=1)
    await ada.post("/v1/safety/checkins", {"dueAt": due_in(timed.clock, 1800), "location": CAFE})
    await ada.post("/v1/safety/alerts", {"location": CAFE})
    alert = (await ada.get("/v1/safety/alerts"))["alerts"][0]
    await ada.post(f"/v1/safety/alerts/{alert['id']}/location", PARK)
    timed.clock.advance(1800 + 601)
    mails = await mailbox.wait_for(contact.email, 3)
    (escalation,) = [m for m in mails if "check-in" in m.subject]
    assert "48.84622, 2.33716" in escalation.body
    await ada.close()


async def test_confirmed_and_cancelled_checkins_never_escalate(
    timed: Timed, mailbox: Mailbox
) -> None:
    ada, contacts = await with_contacts(timed.running.url, mailbox, "Ada", count=1)
    kept = await ada.post("/v1/safety/checkins", {"dueAt": due_in(timed.clock, 600)})
    dropped = await ada.post("/v1/safety/checkins", {"dueAt": due_in(timed.clock, 600)})
    assert (await ada.post(f"/v1/safety/checkins/{kept['id']}/confirm"))["status"] == "CONFIRMED"
    cancelled = await ada.post(f"/v1/safety/checkins/{dropped['id']}/cancel")
    assert cancelled["status"] == "CANCELLED"
    timed.clock.advance(3600)
    await nothing_more_for(mailbox, contacts, 1)
    for checkin, expected in ((kept, "CONFIRMED"), (dropped, "CANCELLED")):
        assert await status(ada, checkin["id"]) == expected
        again = await ada.request("POST", f"/v1/safety/checkins/{checkin['id']}/cancel")
        assert again.status_code == 409
    await ada.close()


async def test_bad_checkins_are_refused_and_only_the_owner_touches_one(disco: Running) -> None:
    ada = await person(disco.url, "Ada")
    eve = await person(disco.url, "Eve")
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for body, code in [
        ({"dueAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()}, 422),
        ({"dueAt": "2030-01-01T10:00:00"}, 422),  # no time zone
        ({"dueAt": (datetime.now(UTC) + timedelta(days=31)).isoformat()}, 422),
        ({"dueAt": soon, "place": "x" * 201}, 422),
        ({"dueAt": soon, "colour": "red"}, 422),
        ({"dueAt": soon, "location": {"latitude": 0, "longitude": 181}}, 422),
        ({"dueAt": soon, "matchId": "no-such-match"}, 404),
        ({}, 422),
    ]:
        response = await ada.request("POST", "/v1/safety/checkins", json=body)
        assert response.status_code == code, (body, response.text)
    assert (await ada.get("/v1/safety/checkins"))["checkins"] == []

    checkin = await ada.post("/v1/safety/checkins", {"dueAt": soon, "note": "dinner"})
    for action in ("confirm", "heartbeat", "cancel"):
        response = await eve.request("POST", f"/v1/safety/checkins/{checkin['id']}/{action}")
        assert response.status_code == 404, action
    assert (await eve.get("/v1/safety/checkins"))["checkins"] == []
    assert await status(ada, checkin["id"]) == "ACTIVE"
    await ada.close()
    await eve.close()


async def test_no_reminder_for_a_checkin_set_inside_the_reminder_lead(timed: Timed) -> None:
    ada = await person(timed.running.url, "Ada")
    async with ada.socket() as socket:
        early = await ada.post("/v1/safety/checkins", {"dueAt": due_in(timed.clock, 3600)})
        await ada.post("/v1/safety/checkins", {"dueAt": due_in(timed.clock, 600)})
        timed.clock.advance(3600 - 900)
        reminder = await socket.expect("checkin_reminder")
        assert reminder["data"]["checkinId"] == early["id"]  # the other one was never reminded
        await asyncio.sleep(SCHEDULER_PASSES)
        while not socket.frames.empty():
            assert socket.frames.get_nowait()["type"] != "checkin_reminder"
    await ada.close()

"""Notification dispatch on both backends, against real endpoints: an SMTP server (aiosmtpd)
and HTTP servers for the SMS and push providers, with a test clock driving retries."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from disco.client import DiscoClient
from disco.platform.clock import FrozenClock
from disco.safety.notify import Notification, NotificationDispatch, Priority
from disco.safety.notify.repository import NotificationsRepository
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.providers import Provider
from tests.support.users import make_moderator, rows_naming

RETRY_BASE = 1.0
RETRY_CAP = 8.0
MAX_ATTEMPTS = 3
LEASE_SECONDS = 30.0
_numbers = itertools.count(1000)


@dataclass
class Env:
    running: Running
    clock: FrozenClock
    mailbox: Mailbox
    sms: Provider
    push: Provider
    moderator: DiscoClient
    moderator_email: str
    member: DiscoClient

    @property
    def dispatch(self) -> NotificationDispatch:
        dispatch: NotificationDispatch = self.running.system.apps["safety"].state.notifications
        return dispatch

    async def enqueue(self, *notifications: Notification) -> list[bool]:
        """All in one unit of work, as the domain does with an alert and its notifications."""
        async with self.dispatch.db.unit_of_work("test.enqueue") as uow:
            return [await self.dispatch.queue.enqueue(uow, n) for n in notifications]

    async def audit(self, **params: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.moderator.get("/v1/safety/notifications", params=params)
        return found

    async def one(self, alert_id: str) -> dict[str, Any]:
        listing = await self.audit(alertId=alert_id)
        assert listing["total"] == 1, listing
        view: dict[str, Any] = listing["notifications"][0]
        return view

    async def settled(self, alert_id: str, status: str) -> dict[str, Any]:
        async def reached() -> bool:
            return (await self.one(alert_id))["status"] == status

        await eventually(reached, timeout=15, what=f"notification of {alert_id} {status}")
        return await self.one(alert_id)

    def advance_past_retry(self) -> None:
        self.clock.advance(RETRY_CAP + 1)

    async def fail_through(self, alert_ids: list[str], attempts: int) -> None:
        """Let every one of these fail ``attempts`` times, moving the clock past each backoff
        in between (not after the last: they are left waiting for the next attempt)."""
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                self.advance_past_retry()

            async def failed(attempt: int = attempt) -> bool:
                views = [await self.one(a) for a in alert_ids]
                return all(
                    [s["kind"] for s in v["trail"]].count("failed") >= attempt
                    and v["status"] != "sending"
                    for v in views
                )

            await eventually(failed, timeout=15, what=f"failed attempt {attempt}")


def note(
    channel: str,
    recipient: str,
    *,
    priority: Priority = Priority.EMERGENCY,
    alert_id: str | None = None,
    user_id: str | None = None,
    key: str | None = None,
) -> Notification:
    alert_id = alert_id or str(uuid.uuid4())
    return Notification(
        dedupe_key=key or f"alert:{alert_id}:{channel}:{recipient}",
        priority=priority,
        channel=channel,  # type: ignore[arg-type]
        recipient=recipient,
        subject="Ada needs help",
        body=f"Ada raised an emergency alert. Live view: https://disco.test/v1/safety/live/{alert_id}",
        data={"alertId": alert_id},
        user_id=user_id,
        alert_id=alert_id,
    )


def claims(channel: str) -> float:
    """Sends this process's dispatchers have claimed on ``channel``: their Prometheus counter."""
    value = REGISTRY.get_sample_value("disco_notifications_claimed_total", {"channel": channel})
    return value or 0.0


def phone() -> str:
    return f"+1555{next(_numbers):07d}"


@pytest.fixture(scope="module", params=["embedded", "real"])
async def env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Env]:
    backend = str(request.param)
    mailbox, sms, push = Mailbox(), Provider("sms-key"), Provider("push-key")
    for server in (mailbox, sms, push):
        server.start()
    clock = FrozenClock(datetime.now(UTC))
    data_dir: Path = tmp_path_factory.mktemp(f"notify-{backend}")
    try:
        async with backend_settings(
            backend,
            data_dir,
            smtp_url=mailbox.url,
            sms_url=sms.url,
            sms_key=sms.key,
            push_url=push.url,
            push_key=push.key,
            notify_poll_seconds=0.05,
            # One send at a time makes the order of arrival the order of claiming.
            notify_concurrency=1,
            notify_retry_base_seconds=RETRY_BASE,
            notify_retry_cap_seconds=RETRY_CAP,
            notify_max_attempts=MAX_ATTEMPTS,
            notify_lease_seconds=LEASE_SECONDS,
        ) as settings:
            async with serve(settings, clock=clock) as running:
                # Signed in before any test moves the clock: tokens must not look issued in
                # the future to the verifier, which checks them against real time.
                moderator_email = unique_email("moderator")
                async with (
                    DiscoClient(running.url) as moderator,
                    DiscoClient(running.url) as member,
                ):
                    await moderator.signup(moderator_email, PASSWORD, "Mo", "Derator")
                    await make_moderator(running.system, moderator, moderator_email)
                    await member.signup(unique_email("member"), PASSWORD, "Mem", "Ber")
                    yield Env(
                        running, clock, mailbox, sms, push, moderator, moderator_email, member
                    )
    finally:
        for server in (mailbox, sms, push):
            server.stop()


async def test_email_is_delivered_once_and_audited(env: Env) -> None:
    address = unique_email("contact")
    n = note("email", address)
    assert await env.enqueue(n) == [True]
    (mail,) = await env.mailbox.wait_for(address)
    assert mail.subject == n.subject
    assert n.body in mail.body
    view = await env.settled(str(n.alert_id), "sent")
    assert [step["kind"] for step in view["trail"]] == ["queued", "attempt", "sent"]
    assert view["priority"] == "EMERGENCY"
    assert view["attempts"] == 1
    # Moderators see enough to tell contacts apart, never the whole address or the message.
    assert view["recipient"] == f"{address[0]}***@example.com"
    assert "body" not in view
    assert len(env.mailbox.to(address)) == 1


async def test_sms_and_push_reach_their_providers_with_key_and_idempotency_key(env: Env) -> None:
    alert_id = str(uuid.uuid4())
    number, token = phone(), f"push-token-{uuid.uuid4().hex}"
    sms, push = note("sms", number, alert_id=alert_id), note("push", token, alert_id=alert_id)
    claimed_before = {"sms": claims("sms"), "push": claims("push")}
    assert await env.enqueue(sms, push) == [True, True]

    async def both() -> bool:
        return bool(env.sms.accepted_to("to", number) and env.push.accepted_to("token", token))

    await eventually(both, timeout=10, what="the SMS and the push")
    (sms_request,) = env.sms.accepted_to("to", number)
    (push_request,) = env.push.accepted_to("token", token)
    assert sms_request.headers["authorization"] == "Bearer sms-key"
    assert push_request.headers["authorization"] == "Bearer push-key"
    assert sms.body in sms_request.body["text"]
    assert push_request.body["title"] == push.subject
    assert push_request.body["data"] == {"alertId": alert_id}
    listing = await env.audit(alertId=alert_id)
    ids = {v["channel"]: v["id"] for v in listing["notifications"]}
    # The row id is the idempotency key: a provider can drop a repeat of what it took.
    assert sms_request.idempotency_key == ids["sms"]
    assert push_request.idempotency_key == ids["push"]
    # Counted for the operators (other tests' dispatchers may add to it, never take away).
    for channel, before in claimed_before.items():
        assert claims(channel) >= before + 1, channel


async def test_in_app_notification_reaches_the_users_socket(env: Env) -> None:
    profile = await env.member.get("/v1/users/me")
    n = Notification(
        dedupe_key=f"checkin:{uuid.uuid4()}:reminder",
        priority=Priority.SAFETY,
        channel="in_app",
        recipient=profile["id"],
        subject="Check-in due soon",
        body="Your meetup check-in is due in 15 minutes.",
        data={"checkinId": "c1"},
        frame_type="checkin_reminder",
    )
    async with env.member.socket() as socket:
        assert await env.enqueue(n) == [True]
        frame = await socket.expect("checkin_reminder", timeout=10)
    assert frame["data"] == {"subject": n.subject, "body": n.body, "checkinId": "c1"}


async def test_a_dedupe_key_queues_and_sends_once(env: Env) -> None:
    address = unique_email("contact")
    n = note("email", address)
    # Twice in one transaction, then again in another: one row, one mail, no error.
    assert await env.enqueue(n, n) == [True, False]
    assert await env.enqueue(n) == [False]
    await env.mailbox.wait_for(address)
    view = await env.settled(str(n.alert_id), "sent")
    assert view["attempts"] == 1
    assert len(env.mailbox.to(address)) == 1


async def test_a_rolled_back_transaction_queues_nothing(env: Env) -> None:
    n = note("email", unique_email("contact"))
    with pytest.raises(RuntimeError):
        async with env.dispatch.db.unit_of_work("test.rollback") as uow:
            await env.dispatch.queue.enqueue(uow, n)
            raise RuntimeError("the alert could not be saved")
    assert (await env.audit(alertId=str(n.alert_id)))["total"] == 0
    # The key is free again: nothing of the failed transaction is left behind.
    assert await env.enqueue(n) == [True]
    await env.mailbox.wait_for(n.recipient)


async def test_an_emergency_queued_after_marketing_goes_first(env: Env) -> None:
    number = phone()
    marketing = [
        note("sms", number, priority=Priority.MARKETING, key=f"promo:{uuid.uuid4()}")
        for _ in range(8)
    ]
    emergency = note("sms", number, priority=Priority.EMERGENCY)
    routine = note("sms", number, priority=Priority.ROUTINE, key=f"routine:{uuid.uuid4()}")
    await env.enqueue(*marketing, routine, emergency)

    async def all_in() -> bool:
        return len(env.sms.accepted_to("to", number)) == 10

    await eventually(all_in, timeout=15, what="ten SMS")
    order = [r.idempotency_key for r in env.sms.accepted_to("to", number)]
    emergency_id = (await env.one(str(emergency.alert_id)))["id"]
    routine_id = (await env.one(str(routine.alert_id)))["id"]
    assert order[:2] == [emergency_id, routine_id]


async def test_retries_back_off_exponentially_on_the_clock(env: Env) -> None:
    number = phone()
    refused_before = len(env.sms.refused())
    env.sms.fail_next(2)
    n = note("sms", number, priority=Priority.SAFETY)
    await env.enqueue(n)
    alert_id = str(n.alert_id)

    async def failures(count: int) -> bool:
        view = await env.one(alert_id)
        return [s["kind"] for s in view["trail"]].count("failed") == count

    await eventually(lambda: failures(1), what="the first failure")
    first = await env.one(alert_id)
    delay = datetime.fromisoformat(first["nextAttemptAt"]) - env.clock.now()
    # Jittered between half and all of the base delay.
    assert timedelta(seconds=RETRY_BASE / 2) <= delay <= timedelta(seconds=RETRY_BASE)
    assert "provider answered 500" in first["lastError"]
    # Not retried while the clock stands still, however long real time runs.
    await asyncio.sleep(0.5)
    assert len(env.sms.refused()) == refused_before + 1

    env.clock.advance(RETRY_BASE)
    await eventually(lambda: failures(2), what="the second failure")
    second = await env.one(alert_id)
    delay = datetime.fromisoformat(second["nextAttemptAt"]) - env.clock.now()
    assert timedelta(seconds=RETRY_BASE) <= delay <= timedelta(seconds=2 * RETRY_BASE)

    env.clock.advance(2 * RETRY_BASE)
    view = await env.settled(alert_id, "sent")
    assert [s["kind"] for s in view["trail"]] == [
        "queued",
        "attempt",
        "failed",
        "attempt",
        "failed",
        "attempt",
        "sent",
    ]
    assert len(env.sms.accepted_to("to", number)) == 1
    assert env.sms.accepted_twice() == []


async def test_sms_provider_down_delays_but_never_loses_or_repeats(env: Env) -> None:
    numbers = [phone() for _ in range(3)]
    env.sms.fail_until_recovered(500)
    notes = [note("sms", number, priority=Priority.EMERGENCY) for number in numbers]
    await env.enqueue(*notes)
    # Retried past the last attempt: dead-lettered so moderators look, yet still retrying.
    await env.fail_through([str(n.alert_id) for n in notes], MAX_ATTEMPTS + 1)
    for n in notes:
        view = await env.one(str(n.alert_id))
        assert view["status"] == "queued"
        assert view["deadLetteredAt"] is not None
        assert view["attempts"] == MAX_ATTEMPTS + 1
    dead = await env.moderator.get("/v1/safety/notifications/dead")
    dead_alerts = {v["alertId"] for v in dead["notifications"]}
    assert {n.alert_id for n in notes} <= dead_alerts

    env.sms.recover()
    env.advance_past_retry()
    for n in notes:
        await env.settled(str(n.alert_id), "sent")
    for number in numbers:
        assert len(env.sms.accepted_to("to", number)) == 1
    # More time passing sends nothing again.
    env.advance_past_retry()
    await asyncio.sleep(0.3)
    for number in numbers:
        assert len(env.sms.accepted_to("to", number)) == 1
    assert env.sms.accepted_twice() == []
    dead = await env.moderator.get("/v1/safety/notifications/dead")
    assert not {n.alert_id for n in notes} & {v["alertId"] for v in dead["notifications"]}


async def test_routine_mail_is_dead_lettered_and_a_moderator_requeues_it(env: Env) -> None:
    number = phone()
    env.sms.fail_until_recovered(503)
    n = note("sms", number, priority=Priority.ROUTINE)
    await env.enqueue(n)
    await env.fail_through([str(n.alert_id)], MAX_ATTEMPTS)
    view = await env.settled(str(n.alert_id), "dead")
    assert view["trail"][-1]["kind"] == "dead_lettered"
    env.sms.recover()
    env.advance_past_retry()
    await asyncio.sleep(0.3)
    assert env.sms.accepted_to("to", number) == []  # dead letters wait for a person

    requeued = await env.moderator.post(f"/v1/safety/notifications/{view['id']}/requeue")
    assert requeued["status"] == "queued"
    assert requeued["trail"][-1]["kind"] == "requeued"
    await env.settled(str(n.alert_id), "sent")
    assert len(env.sms.accepted_to("to", number)) == 1
    # A sent one cannot be requeued (it would be sent twice); an unknown one is not found.
    again = await env.moderator.request("POST", f"/v1/safety/notifications/{view['id']}/requeue")
    assert again.status_code == 409
    unknown = await env.moderator.request(
        "POST", f"/v1/safety/notifications/{uuid.uuid4()}/requeue"
    )
    assert unknown.status_code == 404


async def test_a_permanent_refusal_is_dead_lettered_at_once(env: Env) -> None:
    env.push.fail_next(1, status=400)
    n = note("push", f"bad-token-{uuid.uuid4().hex}", priority=Priority.EMERGENCY)
    await env.enqueue(n)
    view = await env.settled(str(n.alert_id), "dead")
    assert view["attempts"] == 1
    assert "provider answered 400" in view["lastError"]


async def test_a_claim_left_by_a_dead_worker_is_sent_after_its_lease(env: Env) -> None:
    """The crash window: claimed, maybe sent, never settled. The row is not lost."""
    address = unique_email("contact")
    n = note("email", address)
    # Queue and claim it as a worker that then died would have, in one transaction, so the
    # running dispatcher cannot take it first.
    async with env.dispatch.db.unit_of_work("test.dead_worker") as uow:
        assert await env.dispatch.queue.enqueue(uow, n)
        now = env.clock.now()
        claimed = await NotificationsRepository(uow).claim(
            now, now + timedelta(seconds=LEASE_SECONDS), 100
        )
        assert [row.alert_id for row in claimed] == [n.alert_id]
    await asyncio.sleep(0.3)
    assert env.mailbox.to(address) == []
    env.clock.advance(LEASE_SECONDS + 1)
    await env.mailbox.wait_for(address)
    view = await env.settled(str(n.alert_id), "sent")
    assert view["attempts"] == 2
    assert any(s["detail"] == "previous attempt's outcome unknown" for s in view["trail"])


async def test_only_moderators_see_the_audit_trail(env: Env) -> None:
    assert (await env.member.request("GET", "/v1/safety/notifications")).status_code == 404
    assert (await env.member.request("GET", "/v1/safety/notifications/dead")).status_code == 404
    some_id = str(uuid.uuid4())
    requeue = await env.member.request("POST", f"/v1/safety/notifications/{some_id}/requeue")
    assert requeue.status_code == 404
    async with DiscoClient(env.running.url) as anonymous:
        assert (await anonymous.request("GET", "/v1/safety/notifications")).status_code == 401
    for bad in ({"limit": "0"}, {"limit": "x"}, {"offset": "-1"}, {"userId": ""}):
        response = await env.moderator.request("GET", "/v1/safety/notifications", params=bad)
        assert response.status_code == 422, (bad, response.text)


async def test_user_deletion_erases_their_notifications(env: Env) -> None:
    gone, kept = str(uuid.uuid4()), str(uuid.uuid4())
    await env.enqueue(
        note("email", unique_email("contact"), user_id=gone),
        note("email", unique_email("contact"), user_id=kept),
        Notification(
            dedupe_key=f"inapp:{uuid.uuid4()}",
            priority=Priority.ROUTINE,
            channel="in_app",
            recipient=gone,
            subject="s",
            body="b",
        ),
    )
    assert (await env.audit(userId=gone))["total"] == 2
    async with env.dispatch.db.unit_of_work("test.erase") as uow:
        assert await env.dispatch.queue.erase_user(uow, gone) == 2
    assert (await env.audit(userId=gone))["total"] == 0
    assert (await env.audit(userId=kept))["total"] == 1
    assert await rows_naming(env.running.system.settings, [gone]) == []


@pytest.mark.parametrize("backend", ["embedded", "real"])
async def test_unconfigured_channel_is_skipped_and_smtp_outage_is_ridden_out(
    backend: str, tmp_path: Path
) -> None:
    """Push has no provider here (skipped, not retried for ever); the SMTP server is down
    when the mail is queued and comes up later: the mail arrives, once."""
    mailbox = Mailbox()  # not started yet: its port refuses connections
    clock = FrozenClock(datetime.now(UTC))
    async with (
        backend_settings(
            backend,
            tmp_path,
            smtp_url=mailbox.url,
            notify_poll_seconds=0.05,
            notify_retry_base_seconds=RETRY_BASE,
            notify_retry_cap_seconds=RETRY_CAP,
        ) as settings,
        serve(settings, services=["safety"], clock=clock) as running,
    ):
        dispatch: NotificationDispatch = running.system.apps["safety"].state.notifications
        address = unique_email("contact")
        mail, push = note("email", address), note("push", "token-x")
        async with dispatch.db.unit_of_work("test.enqueue") as uow:
            assert await dispatch.queue.enqueue(uow, mail)
            assert await dispatch.queue.enqueue(uow, push)

        async def status(n: Notification) -> dict[str, Any]:
            async with dispatch.db.unit_of_work("test.audit") as uow:
                listing = await dispatch.queue.find(
                    uow, user_id=None, alert_id=n.alert_id, dead_only=False, limit=5, offset=0
                )
            return listing.notifications[0].model_dump()

        async def mail_failed() -> bool:
            return any(s["kind"] == "failed" for s in (await status(mail))["trail"])

        await eventually(mail_failed, what="the mail failing against a closed port")
        skipped = await status(push)
        assert skipped["status"] == "skipped"
        assert skipped["trail"][-1]["detail"] == "the push channel is not configured"

        mailbox.start()
        try:
            clock.advance(RETRY_CAP + 1)
            await mailbox.wait_for(address)

            async def sent() -> bool:
                return (await status(mail))["status"] == "sent"

            await eventually(sent, what="the mail marked sent")
            clock.advance(RETRY_CAP + 1)
            await asyncio.sleep(0.3)
            assert len(mailbox.to(address)) == 1
            assert (await status(push))["attempts"] == 1
        finally:
            mailbox.stop()


async def test_phone_numbers_as_users_store_them_and_undeliverable_addresses(env: Env) -> None:
    """Formatting is dropped before the provider; an address no provider could use does not
    fail the transaction that queues it (an alert must never fail on it) but is dead-lettered
    at once, where moderators see it."""
    formatted = note("sms", "+1 (555) 010-2030")
    hopeless_phone = note("sms", "12")
    hopeless_mail = note("email", "not-an-address")
    assert await env.enqueue(formatted, hopeless_phone, hopeless_mail) == [True, True, True]
    await env.settled(str(formatted.alert_id), "sent")
    assert len(env.sms.accepted_to("to", "+15550102030")) == 1
    for n, reason in (
        (hopeless_phone, "not a phone number"),
        (hopeless_mail, "not an email address"),
    ):
        view = await env.settled(str(n.alert_id), "dead")
        assert view["lastError"] == reason
        assert view["attempts"] == 1


async def test_a_send_in_flight_is_not_taken_again_when_the_clock_jumps_past_its_lease(
    backend: str, tmp_path: Path
) -> None:
    """The clock jumps (a test's, or an NTP step) while a slow provider holds a send: the
    lease looks lapsed, yet this process is still sending that row, so it must not send it
    again. (Found by the check-in tests: an alert mail went out twice.)"""
    sms = Provider("sms-key")
    sms.delay_seconds = 2.0  # the send outlives the jump and the claim pass that follows it
    sms.start()
    clock = FrozenClock(datetime.now(UTC))
    try:
        async with backend_settings(
            backend, tmp_path, sms_url=sms.url, sms_key=sms.key, notify_poll_seconds=0.05
        ) as settings:
            async with serve(settings, clock=clock) as running:
                dispatch: NotificationDispatch = running.system.apps["safety"].state.notifications
                slow, other = note("sms", phone()), note("sms", phone())

                async def enqueue(n: Notification) -> None:
                    async with dispatch.db.unit_of_work("test.enqueue") as uow:
                        assert await dispatch.queue.enqueue(uow, n)

                async def sending() -> bool:
                    async with dispatch.db.unit_of_work("test.state") as uow:
                        rows, _ = await NotificationsRepository(uow).find(alert_id=slow.alert_id)
                    return [row.status for row in rows] == ["sending"]

                await enqueue(slow)
                await eventually(sending, timeout=10, what="the slow send in flight")
                clock.advance(settings.notify_lease_seconds * 10)
                await enqueue(other)  # wakes the dispatcher: a claim pass, slots free
                await sms.wait_for(2, timeout=15)
                await asyncio.sleep(settings.notify_poll_seconds * 10)
                assert len(sms.accepted_to("to", slow.recipient)) == 1
                assert len(sms.accepted_to("to", other.recipient)) == 1
                assert sms.accepted_twice() == []
    finally:
        sms.stop()

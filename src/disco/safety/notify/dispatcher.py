"""The worker that drains the notification queue: claim, send, settle.

Delivery is exactly once as far as a provider lets us know. A row is claimed in one short
transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two safety processes never claim the
same row; SQLite has one process) which marks the attempt and leases the row for a few seconds;
it is sent outside any transaction (a slow SMTP server must not hold locks, and on SQLite would
block every other write), the worker renewing the lease every third of it while the send is in
flight; the outcome is recorded in a second transaction, which it shares with the outcomes of
the other sends that ended meanwhile (``outcomes.py``). So a slow provider never has a live
worker's message taken by another, and a worker that dies stops renewing: its rows are taken
again within one lease, seconds rather than minutes after the crash. The one window: a process
that dies after the provider accepted a message and before it recorded the outcome leaves the
row leased, and once the lease lapses it is sent again. SMS and push providers receive the row
id as ``Idempotency-Key`` so they can drop that repeat; email has no such mechanism. A clean
shutdown lets sends in flight finish and record their outcome, so it opens no window.

Failures are retried with exponential backoff and jitter, capped. After the last attempt a
notification is dead-lettered (moderators see it and can requeue it); emergency and safety
notifications are dead-lettered too, so someone looks, but keep retrying at the cap: they are
never dropped. Only a provider's permanent refusal (it will never take this recipient) stops
them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from random import Random
from typing import Any

from prometheus_client import Counter

from disco.config import Settings
from disco.platform.clock import Clock
from disco.platform.db import Database
from disco.platform.security import FieldCipher
from disco.platform.tasks import end_if_stopping, stop_task
from disco.safety.notify.channels import DeliveryFailed, Notifier
from disco.safety.notify.message import Channel, Outgoing, Priority
from disco.safety.notify.outcomes import Outcome, OutcomeWriter
from disco.safety.notify.repository import EventRow, NotificationRow, NotificationsRepository

__all__ = ["NOTIFICATIONS_CLAIMED", "Dispatcher"]

log = logging.getLogger(__name__)

_STOP_GRACE_SECONDS = 15.0
_MIN_IDLE_SECONDS = 0.02

NOTIFICATIONS_CLAIMED = Counter(
    "disco_notifications_claimed_total",
    "Notifications a dispatcher claimed for a send attempt (a retry is claimed again)",
    ["channel"],
)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        notifiers: Mapping[Channel, Notifier],
        *,
        settings: Settings,
        cipher: FieldCipher,
        clock: Clock,
        random: Random,
    ) -> None:
        self._db = db
        self._notifiers = notifiers
        self._cipher = cipher
        self._clock = clock
        self._random = random
        self._concurrency = settings.notify_concurrency
        self._max_attempts = settings.notify_max_attempts
        self._retry_base = settings.notify_retry_base_seconds
        self._retry_cap = settings.notify_retry_cap_seconds
        self._poll = settings.notify_poll_seconds
        self._lease = timedelta(seconds=settings.notify_lease_seconds)
        self._send_timeout = settings.notify_send_timeout_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        # Each send in flight, by the id of the row it sends.
        self._in_flight: dict[asyncio.Task[None], str] = {}
        self._outcomes = OutcomeWriter(db, clock)

    def wake(self) -> None:
        """Something was queued (or came due): look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"notify-dispatcher-{self._db.service}")

    async def stop(self) -> None:
        """Finish the sends in flight (so their outcome is recorded), then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), _STOP_GRACE_SECONDS)
        except TimeoutError:
            # Rows still being sent stay leased and are retried once the lease lapses.
            await asyncio.gather(*(stop_task(t) for t in [*self._in_flight, self._task]))
            await self._outcomes.stop()
        self._task = None

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                wait = await self._top_up()
            except Exception as exc:
                end_if_stopping(exc)
                # The database went away, say: keep trying; nothing queued is lost meanwhile.
                failures += 1
                log.exception("notification dispatch failed (retrying)")
                wait = min(0.2 * 2**failures, 10.0)
            else:
                failures = 0
            if wait:
                # Woken early by a commit that queued something or by a send that ended.
                await self._idle(wait)
        await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _top_up(self) -> float:
        """Keep up to ``notify_concurrency`` sends in flight, claiming more as each one ends,
        so that one slow provider never holds back an emergency queued behind it. Returns
        how long to wait before looking again (0: at once)."""
        free = self._concurrency - len(self._in_flight)
        if free <= 0:
            return self._poll  # the next send to end wakes us
        claimed, next_due = await self._claim(free)
        if claimed == free:
            return 0.0  # there may be more waiting, and room to send them
        if next_due is None:
            return self._poll
        # The clock may be a test's, standing still: never wait past one poll in real time.
        wait = (next_due - self._clock.now()).total_seconds()
        return min(max(wait, _MIN_IDLE_SECONDS), self._poll)

    async def _idle(self, seconds: float) -> None:
        # asyncio.timeout, not wait_for, which can swallow a cancellation (see OutboxRelay).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()

    async def _claim(self, limit: int) -> tuple[int, datetime | None]:
        """Claim up to ``limit`` due notifications and start sending each. Returns how many,
        and, when that is fewer, when the next one falls due (None: nothing is waiting)."""
        now = self._clock.now()
        async with self._db.unit_of_work("notify.claim") as uow:
            repo = NotificationsRepository(uow)
            rows = await repo.claim(
                now, now + self._lease, limit, sending=set(self._in_flight.values())
            )
            await repo.record([self._attempt(row, now) for row in rows])
            next_due = None if len(rows) == limit else await repo.next_due()
        for row in rows:
            NOTIFICATIONS_CLAIMED.labels(row.channel).inc()
            send = asyncio.create_task(self._deliver_logged(row), name=f"notify-{row.id}")
            self._in_flight[send] = row.id
            send.add_done_callback(self._sent_one)
        return len(rows), next_due

    def _attempt(self, row: NotificationRow, now: datetime) -> EventRow:
        # A row still "sending" was claimed by a worker that died: we cannot know whether the
        # provider took it.
        note = "previous attempt's outcome unknown" if row.status == "sending" else None
        return EventRow(row.id, "attempt", now, row.attempts + 1, self._seal(note))

    def _sent_one(self, send: asyncio.Task[None]) -> None:
        self._in_flight.pop(send, None)
        self._wake.set()  # a slot is free

    async def _deliver_logged(self, row: NotificationRow) -> None:
        try:
            await self._deliver(row)
        except Exception:
            # The outcome could not be recorded (the database went away): the row stays leased
            # and is tried again when the lease lapses.
            log.exception("notification %s: recording the outcome failed", row.id)

    async def _deliver(self, row: NotificationRow) -> None:
        attempt = row.attempts + 1
        notifier = self._notifiers.get(row.channel)  # type: ignore[call-overload]
        if notifier is None:
            await self._settle(
                row,
                attempt,
                [("skipped", f"the {row.channel} channel is not configured")],
                status="skipped",
            )
            return
        content: dict[str, Any] = self._cipher.decrypt_json(row.content_sealed)
        message = Outgoing(
            id=row.id,
            channel=row.channel,  # type: ignore[arg-type]
            recipient=content["recipient"],
            subject=content["subject"],
            body=content["body"],
            data=content["data"],
            frame_type=content["frame_type"],
        )
        try:
            async with self._leased(row, attempt):
                await asyncio.wait_for(notifier.send(message), self._send_timeout)
        except DeliveryFailed as exc:
            await self._failed(row, attempt, exc, str(exc), permanent=exc.permanent)
        except Exception as exc:
            await self._failed(row, attempt, exc, f"{type(exc).__name__}: {exc}", permanent=False)
        else:
            await self._outcomes.record(Outcome(row, attempt, [("sent", None)]))

    @contextlib.asynccontextmanager
    async def _leased(self, row: NotificationRow, attempt: int) -> AsyncIterator[None]:
        """Keep renewing the row's lease while its send is in flight, so that no other worker
        takes it for a dead one's; the renewals stop with the send (or with this process)."""
        renewer = asyncio.create_task(self._renew(row, attempt), name=f"notify-lease-{row.id}")
        try:
            yield
        finally:
            await stop_task(renewer)

    async def _renew(self, row: NotificationRow, attempt: int) -> None:
        every = self._lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                async with self._db.unit_of_work("notify.renew_lease") as uow:
                    await NotificationsRepository(uow).renew_lease(
                        row.id, attempt, self._now() + self._lease
                    )
            except Exception as exc:
                end_if_stopping(exc)
                # The next renewal may succeed; if none does, the send outlives its lease and
                # may be repeated, which is the documented window.
                log.warning("notification %s: renewing the lease failed", row.id, exc_info=True)

    async def _failed(
        self, row: NotificationRow, attempt: int, exc: Exception, error: str, *, permanent: bool
    ) -> None:
        # The error text may quote the recipient: it goes to the sealed audit trail, the log
        # gets only its kind.
        log.warning(
            "notification %s (%s) attempt %d failed: %s",
            row.id,
            row.channel,
            attempt,
            type(exc).__name__,
        )
        now = self._now()
        exhausted = attempt >= self._max_attempts
        sealed_error = self._seal(error)
        if permanent or (exhausted and not Priority(row.priority).never_dropped):
            await self._settle(
                row,
                attempt,
                [("failed", error), ("dead_lettered", None)],
                status="dead",
                due_at=now,
                dead_lettered_at=now,
                last_error_sealed=sealed_error,
            )
            return
        values: dict[str, Any] = {
            "status": "queued",
            "due_at": now + timedelta(seconds=self._backoff(attempt)),
            "last_error_sealed": sealed_error,
        }
        trail: list[tuple[str, str | None]] = [("failed", error)]
        if exhausted and row.dead_lettered_at is None:
            values["dead_lettered_at"] = now
            trail.append(("dead_lettered", "still retrying: emergency and safety never stop"))
        await self._settle(row, attempt, trail, **values)

    def _backoff(self, attempt: int) -> float:
        """Exponential, capped; jittered to between half and all of it so that a provider
        coming back is not hit by every waiting notification in the same instant."""
        # The exponent is bounded: an emergency may retry for days, and 2**1100 is no float.
        delay = min(self._retry_cap, self._retry_base * 2 ** min(attempt - 1, 32))
        return delay * (0.5 + 0.5 * self._random.random())

    async def _settle(
        self,
        row: NotificationRow,
        attempt: int,
        trail: list[tuple[str, str | None]],
        **values: Any,
    ) -> None:
        sealed = [(kind, self._seal(detail)) for kind, detail in trail]
        await self._outcomes.record(Outcome(row, attempt, sealed, values))

    def _seal(self, text: str | None) -> str | None:
        return None if text is None else self._cipher.encrypt(text)

    def _now(self) -> datetime:
        return self._clock.now()

"""The check-in scheduler: reminds and escalates what is due, from the rows themselves.

Each pass claims due rows by a status change in one transaction, together with the
notifications it owes: killed before the commit, nothing happened and the next pass (in this
process or another) does it; after, it is done and never done again. It polls in real time but
decides what is due by the injected clock, so a test clock drives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from disco.contracts.events.safety import CheckinEscalated
from disco.platform.context import ServiceContext
from disco.platform.db import Database, UnitOfWork
from disco.platform.tasks import end_if_stopping
from disco.safety.alerts.service import AlertsService
from disco.safety.checkins.repository import CheckinRow, CheckinsRepository
from disco.safety.locations import open_location
from disco.safety.notify import Priority
from disco.safety.people.tell import Audience, Teller
from disco.safety.schemas import Location

__all__ = ["SCHEDULER_BATCH", "CheckinScheduler"]

log = logging.getLogger(__name__)

SCHEDULER_BATCH = 200


class CheckinScheduler:
    """A worker of the safety app: ``run_due`` in a loop for the app's lifetime. A full batch is
    followed at once by the next pass."""

    def __init__(
        self,
        db: Database,
        ctx: ServiceContext,
        teller: Teller,
        alerts: AlertsService,
        poll_seconds: float = 0.2,
    ) -> None:
        self._db = db
        self._clock = ctx.clock
        self._cipher = ctx.cipher
        self._tell = teller
        self._alerts = alerts
        self._poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="safety.scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            done = 0
            try:
                async with self._db.unit_of_work("safety.scheduler") as uow:
                    done = await self.run_due(uow)
            except Exception as exc:
                end_if_stopping(exc)
                # A database that is away for a moment must not end the schedule.
                log.exception("check-in scheduler pass failed; retrying")
            if done < SCHEDULER_BATCH:
                await asyncio.sleep(self._poll_seconds)

    async def run_due(self, uow: UnitOfWork) -> int:
        """One pass: remind and escalate what is due by the injected clock; how many."""
        repo = CheckinsRepository(uow)
        now = self._clock.now()
        reminders = await repo.claim_due("remind_at", now, {"reminded_at": now}, SCHEDULER_BATCH)
        escalations = await repo.claim_due(
            "escalate_at", now, {"status": "ESCALATED", "escalated_at": now}, SCHEDULER_BATCH
        )
        if not reminders and not escalations:
            return 0
        # What the pass needs to know of the people it tells, loaded once for the whole batch.
        audience = await self._tell.audience(uow, (r.user_id for r in (*reminders, *escalations)))
        alert_locations = await self._alerts.latest_locations(uow, (r.user_id for r in escalations))
        for row in reminders:
            await self._tell.tell_user(
                uow,
                row.user_id,
                f"checkin:{row.id}:reminder",
                "checkin_reminder",
                "Your safety check-in is due soon: confirm you are fine.",
                {"checkinId": row.id, "dueAt": row.due_at.isoformat()},
                push=True,
                devices=audience.devices.get(row.user_id, []),
            )
        for row in escalations:
            # An active alert's latest point beats what the check-in was last given.
            location = alert_locations.get(row.user_id) or (
                open_location(self._cipher, row.sealed_location) if row.sealed_location else None
            )
            await self._escalate(uow, row, audience, location, now)
        return len(reminders) + len(escalations)

    async def _escalate(
        self,
        uow: UnitOfWork,
        row: CheckinRow,
        audience: Audience,
        location: Location | None,
        now: datetime,
    ) -> None:
        name = audience.name(row.user_id)
        details = self._cipher.decrypt_json(row.sealed_details)
        why = (
            f"{name}'s phone stopped checking in during the meetup (last heard from at "
            f"{row.last_heartbeat_at:%H:%M} UTC)."
            if row.escalation_reason == "SILENT"
            else f"{name} did not confirm they were safe after a meetup due at "
            f"{row.due_at:%H:%M} UTC."
        )
        lines = [why, ""]
        if details.get("place"):
            lines.append(f"Where they were meeting: {details['place']}")
        if details.get("note"):
            lines.append(f"Their note: {details['note']}")
        if row.match_id:
            lines.append("They were meeting someone they matched with on Disco.")
        if location is not None:
            lines.append(
                f"Last known location: {location.latitude:.5f}, {location.longitude:.5f} "
                f"(https://www.openstreetmap.org/?mlat={location.latitude:.5f}"
                f"&mlon={location.longitude:.5f})"
            )
        lines += ["", "Try to reach them; if you cannot, call the emergency services."]
        await self._tell.tell_contacts(
            uow,
            audience.contacts.get(row.user_id, []),
            f"checkin:{row.id}:escalated",
            f"Check on {name}: their safety check-in was missed",
            "\n".join(lines),
            user_id=row.user_id,
            checkin_id=row.id,
        )
        await self._tell.tell_user(
            uow,
            row.user_id,
            f"checkin:{row.id}:escalated",
            "notification",
            "Your check-in was missed, so your emergency contacts were told. "
            "Confirm if you are fine.",
            {"kind": "checkin_escalated", "checkinId": row.id},
            priority=Priority.EMERGENCY,
            push=True,
            devices=audience.devices.get(row.user_id, []),
        )
        reason = row.escalation_reason or "MISSED"
        await uow.publish(
            CheckinEscalated(checkin_id=row.id, user_id=row.user_id, reason=reason),
            occurred_at=now,
        )

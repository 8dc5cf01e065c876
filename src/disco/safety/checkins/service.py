"""The rules of check-ins as their owner handles them: schedule, heartbeat, confirm, cancel.
Check-ins are rows, not timers: the scheduler (``scheduler.py``) reminds and escalates them by
their ``remind_at`` and ``escalate_at``. Never commits."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import Conflict, NotFound, ValidationFailed
from disco.safety.checkins.repository import CheckinRow, CheckinsRepository
from disco.safety.checkins.schemas import Checkin, CheckinIn
from disco.safety.locations import seal_location
from disco.safety.notify import Priority
from disco.safety.people.repository import PeopleRepository
from disco.safety.people.service import partner_in
from disco.safety.people.tell import Teller
from disco.safety.replays import RequestKeys, fingerprint
from disco.safety.schemas import LocationIn

__all__ = ["CheckinsService"]

MAX_AHEAD = timedelta(days=30)
STILL_ACTIVE = "The check-in is no longer active."


class CheckinsService:
    def __init__(self, ctx: ServiceContext, teller: Teller, request_keys: RequestKeys) -> None:
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._cipher = ctx.cipher
        self._tell = teller
        self._request_keys = request_keys

    def _view(self, row: CheckinRow) -> Checkin:
        details = self._cipher.decrypt_json(row.sealed_details)
        return Checkin(
            id=row.id,
            status=row.status,
            due_at=row.due_at,
            match_id=row.match_id,
            place=details.get("place"),
            note=details.get("note"),
            created_at=row.created_at,
            last_heartbeat_at=row.last_heartbeat_at,
            confirmed_at=row.confirmed_at,
            escalated_at=row.escalated_at,
            escalation_reason=row.escalation_reason if row.escalated_at else None,
        )

    async def _own(self, repo: CheckinsRepository, user_id: str, checkin_id: str) -> CheckinRow:
        row = await repo.get(checkin_id)
        if row is None or row.user_id != user_id:
            raise NotFound("No such check-in.")
        return row

    async def _moved(
        self, repo: CheckinsRepository, checkin_id: str, from_status: list[str], **values: Any
    ) -> Checkin:
        """The check-in after moving it on from ``from_status``; 409 if it had moved already."""
        if not await repo.update(checkin_id, from_status, **values):
            raise Conflict(STILL_ACTIVE)
        updated = await repo.get(checkin_id)
        assert updated is not None  # changed in this very transaction
        return self._view(updated)

    async def schedule(
        self, uow: UnitOfWork, user_id: str, body: CheckinIn, idempotency_key: str | None = None
    ) -> Checkin:
        """A new check-in; with a key used before (for the same request), that first one."""
        repo = CheckinsRepository(uow)
        checkin_id = new_id()
        if idempotency_key is not None:
            first = await self._request_keys.claim(
                uow,
                user_id,
                "checkin",
                idempotency_key,
                resource_id=checkin_id,
                # What the person chose; a fresher position on a retry is the same request.
                request=fingerprint(
                    body.due_at.astimezone(UTC).isoformat(), body.match_id, body.place, body.note
                ),
            )
            if first is not None:
                return self._view(await self._own(repo, user_id, first))
        now = self._clock.now()
        if body.due_at <= now:
            raise ValidationFailed(
                "The check-in must be due in the future.",
                details=[{"field": "dueAt", "message": "in the past"}],
            )
        if body.due_at > now + MAX_AHEAD:
            raise ValidationFailed(
                "A check-in can be at most 30 days ahead.",
                details=[{"field": "dueAt", "message": "too far ahead"}],
            )
        if body.match_id is not None:
            await partner_in(uow, user_id, body.match_id)
        s = self._settings
        remind_at = body.due_at - timedelta(seconds=s.checkin_reminder_seconds)
        location = seal_location(self._cipher, body.location) if body.location else None
        await repo.add(
            id=checkin_id,
            user_id=user_id,
            match_id=body.match_id,
            sealed_details=self._cipher.encrypt_json({"place": body.place, "note": body.note}),
            sealed_location=location,
            status="ACTIVE",
            due_at=body.due_at,
            remind_at=max(now, remind_at),
            # Due sooner than the reminder lead: the user has just set it, no reminder needed.
            reminded_at=now if remind_at <= now else None,
            escalate_at=body.due_at + timedelta(seconds=s.checkin_grace_seconds),
            escalation_reason="MISSED",
            created_at=now,
        )
        row = await repo.get(checkin_id)
        assert row is not None
        return self._view(row)

    async def checkins(self, uow: UnitOfWork, user_id: str) -> list[Checkin]:
        return [self._view(r) for r in await CheckinsRepository(uow).of_user(user_id)]

    async def heartbeat(
        self, uow: UnitOfWork, user_id: str, checkin_id: str, location: LocationIn | None
    ) -> Checkin:
        """The app is alive: push the dead-man's switch back (never past the due time's grace)."""
        repo = CheckinsRepository(uow)
        row = await self._own(repo, user_id, checkin_id)
        now = self._clock.now()
        missed_at = row.due_at + timedelta(seconds=self._settings.checkin_grace_seconds)
        silent_at = now + timedelta(seconds=self._settings.checkin_heartbeat_timeout_seconds)
        values: dict[str, Any] = {
            "last_heartbeat_at": now,
            "escalate_at": min(missed_at, silent_at),
            "escalation_reason": "SILENT" if silent_at < missed_at else "MISSED",
        }
        if location is not None:
            values["sealed_location"] = seal_location(self._cipher, location)
        return await self._moved(repo, checkin_id, ["ACTIVE"], **values)

    async def confirm(self, uow: UnitOfWork, user_id: str, checkin_id: str) -> Checkin:
        """I am fine. After an escalation, the contacts are told so too."""
        repo = CheckinsRepository(uow)
        row = await self._own(repo, user_id, checkin_id)
        now = self._clock.now()
        confirmed = await self._moved(
            repo, checkin_id, ["ACTIVE", "ESCALATED"], status="CONFIRMED", confirmed_at=now
        )
        if row.status == "ESCALATED":
            name = await self._tell.name(uow, user_id)
            await self._tell.tell_contacts(
                uow,
                await self._tell.contacts(uow, user_id),
                f"checkin:{checkin_id}:confirmed",
                f"{name} has checked in: they are fine",
                f"{name} confirmed they are safe at {now:%H:%M} UTC, after their check-in was "
                "late. No need to act on the earlier message.",
                user_id=user_id,
                checkin_id=checkin_id,
            )
        if row.match_id is not None:
            match = await PeopleRepository(uow).match(row.match_id)
            for participant in (match.user_a, match.user_b) if match else ():
                await self._tell.tell_user(
                    uow,
                    participant,
                    f"checkin:{checkin_id}:rate",
                    "notification",
                    "How did your meetup go? Rate it to help keep Disco safe.",
                    {"kind": "rating_prompt", "matchId": row.match_id},
                    priority=Priority.ROUTINE,
                )
        return confirmed

    async def cancel(self, uow: UnitOfWork, user_id: str, checkin_id: str) -> Checkin:
        repo = CheckinsRepository(uow)
        await self._own(repo, user_id, checkin_id)
        return await self._moved(repo, checkin_id, ["ACTIVE"], status="CANCELLED")

    async def erase_user(self, uow: UnitOfWork, user_id: str) -> None:
        await CheckinsRepository(uow).erase_user(user_id)

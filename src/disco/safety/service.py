"""The safety rules: alerts, check-ins, reports, ratings, meeting spots. Never commits.

Every notification is queued in the caller's unit of work (``NotificationQueue.enqueue``), so a
state change and the messages it owes commit together or not at all; the dispatcher sends them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from disco.contracts.events.notifications import NotificationContent, NotificationRequest
from disco.contracts.events.realtime import RealtimePushed
from disco.contracts.events.safety import (
    AlertRaised,
    AlertResolved,
    CheckinEscalated,
    ModerationActionTaken,
    ReportFiled,
)
from disco.contracts.events.users import ContactDetails
from disco.platform.context import ServiceContext
from disco.platform.db import Database, UnitOfWork, new_id
from disco.platform.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from disco.platform.security import Principal
from disco.safety.notify import Notification, Priority
from disco.safety.notify.queue import NotificationQueue
from disco.safety.repository import (
    AlertRow,
    CheckinRow,
    ContactRow,
    ReportRow,
    SafetyRepository,
)
from disco.safety.schemas import (
    ActionIn,
    Alert,
    AlertIn,
    Checkin,
    CheckinIn,
    LiveView,
    Location,
    LocationIn,
    MeetingSpots,
    ModerationReport,
    PinIn,
    Rating,
    RatingIn,
    Report,
    ReportIn,
    SafetyContact,
    SafetyContacts,
    Spot,
    TrailPoint,
    TrustScore,
)

__all__ = [
    "TRUST_PRIOR_MEAN",
    "TRUST_PRIOR_WEIGHT",
    "CheckinScheduler",
    "SafetyService",
    "trust_score",
]

log = logging.getLogger(__name__)

# Trust score: a Bayesian average of the 1-5 ratings a user received, pulled towards a neutral
# prior so that one rating cannot make or break anyone: (C*m + sum) / (C + n).
TRUST_PRIOR_MEAN = 3.5
TRUST_PRIOR_WEIGHT = 5
# Wrong PINs tolerated per alert per hour before cancelling is refused (the alert stays active).
PIN_ATTEMPTS = 5
# Coarse cells for meeting spots: about 500 m on a side; the search box around their midpoint.
CELL_METERS = 500.0
SPOT_SEARCH_METERS = (1_500.0, 5_000.0)
SPOT_LIMIT = 10
CELL_TTL_SECONDS = 3600
SCHEDULER_BATCH = 200
ANONYMOUS = "A Disco user"  # in messages about someone whose first name safety does not know
_METERS_PER_DEGREE = 111_320.0


def trust_score(count: int, total: int) -> float:
    return round((TRUST_PRIOR_WEIGHT * TRUST_PRIOR_MEAN + total) / (TRUST_PRIOR_WEIGHT + count), 2)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _cell_center(latitude: float, longitude: float) -> tuple[float, float]:
    """The centre of the ~500 m cell holding a position: what is kept of it, never the point."""
    step = CELL_METERS / _METERS_PER_DEGREE
    lat = (math.floor(latitude / step) + 0.5) * step
    lon_step = step / max(math.cos(math.radians(lat)), 0.01)
    lon = (math.floor(longitude / lon_step) + 0.5) * lon_step
    return round(lat, 6), round(lon, 6)


@dataclass(frozen=True, slots=True)
class _Contact:
    id: str
    details: ContactDetails


@dataclass(frozen=True, slots=True)
class _People:
    """Of each user a scheduler pass tells: first name, contacts, phones, alert location."""

    names: dict[str, str]
    contacts: dict[str, list[_Contact]]
    devices: dict[str, list[tuple[str, str]]]
    alert_locations: dict[str, Location]


class SafetyService:
    def __init__(self, ctx: ServiceContext, queue: NotificationQueue) -> None:
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._cipher = ctx.cipher
        self._kv = ctx.kv
        self._queue = queue
        # argon2id with the library's RFC 9106 defaults; a PIN is short, so the hash is slow.
        self._hasher = PasswordHasher()

    # --- sealing --------------------------------------------------------------------------------
    def _seal_location(self, location: LocationIn) -> str:
        return self._cipher.encrypt_json(location.model_dump())

    def _open_location(self, sealed: str) -> Location:
        return Location.model_validate(self._cipher.decrypt_json(sealed))

    def _open_contacts(self, rows: list[ContactRow]) -> list[_Contact]:
        return [
            _Contact(
                r.contact_id, ContactDetails.model_validate_json(self._cipher.decrypt(r.sealed))
            )
            for r in rows
        ]

    # --- notifications --------------------------------------------------------------------------
    async def _tell_contacts(
        self,
        uow: UnitOfWork,
        contacts: list[_Contact],
        key: str,
        subject: str,
        body: str,
        *,
        user_id: str,
        alert_id: str | None = None,
        checkin_id: str | None = None,
    ) -> None:
        """Email every contact, and text the ones with a phone; ``key`` names the occasion."""
        for contact in contacts:
            channels = [("email", contact.details.email)]
            if contact.details.phone:
                channels.append(("sms", contact.details.phone))
            for channel, recipient in channels:
                await self._queue.enqueue(
                    uow,
                    Notification(
                        dedupe_key=f"{key}:contact:{contact.id}:{channel}",
                        priority=Priority.EMERGENCY,
                        channel=channel,  # type: ignore[arg-type]
                        recipient=recipient,
                        subject=subject,
                        body=f"Hello {contact.details.name},\n\n{body}",
                        user_id=user_id,
                        alert_id=alert_id,
                        checkin_id=checkin_id,
                    ),
                )

    async def _tell_user(
        self,
        uow: UnitOfWork,
        user_id: str,
        key: str,
        frame_type: str,
        subject: str,
        data: dict[str, Any],
        *,
        priority: Priority = Priority.SAFETY,
        push: bool = False,
        devices: list[tuple[str, str]] | None = None,
    ) -> None:
        """An in-app frame on each of the user's open sockets (their other devices too), and
        with ``push`` a push to each phone they registered (``devices``, if already loaded),
        for an app that is not open.

        The frame goes straight into this transaction's outbox rather than through the
        notification queue: it is as durable that way, and a busy scheduler pass (thousands of
        escalations) does not double the dispatcher's work with frames to sockets.
        """
        frame = {"subject": subject, "body": subject, **data}
        await uow.publish(RealtimePushed(user_ids=[user_id], frame_type=frame_type, data=frame))
        if not push:
            return
        if devices is None:
            devices = await SafetyRepository(uow).devices(user_id)
        for device_id, sealed in devices:
            await self._queue.enqueue(
                uow,
                Notification(
                    dedupe_key=f"{key}:push:{device_id}",
                    priority=priority,
                    channel="push",
                    recipient=self._cipher.decrypt(sealed),
                    subject=subject,
                    body=subject,
                    data=data,
                    user_id=user_id,
                    frame_type=frame_type,
                ),
            )

    async def deliver_request(self, uow: UnitOfWork, request: NotificationRequest) -> None:
        """Another service's ``*.notification.requested``: queued like our own, so it is
        durable, retried, deduplicated (by the requester's key) and audited."""
        content = NotificationContent.model_validate_json(self._cipher.decrypt(request.sealed))
        if request.channel == "push":
            devices = await SafetyRepository(uow).devices(request.user_id)
            recipients = [(f"push:{d}", self._cipher.decrypt(token)) for d, token in devices]
        elif request.channel == "in_app":
            recipients = [("in_app", request.user_id)]
        else:
            assert content.address is not None, "an email or SMS request carries its address"
            recipients = [(request.channel, content.address)]
        for suffix, recipient in recipients:
            await self._queue.enqueue(
                uow,
                Notification(
                    dedupe_key=f"{request.dedupe_key}:{suffix}",
                    priority=Priority[request.priority.upper()],
                    channel=request.channel,
                    recipient=recipient,
                    subject=content.subject,
                    body=content.body or content.subject,
                    data=content.data,
                    user_id=request.user_id,
                    frame_type=request.frame_type,
                ),
            )

    async def _name(self, uow: UnitOfWork, user_id: str) -> str:
        return await SafetyRepository(uow).first_name(user_id) or ANONYMOUS

    # --- projections ----------------------------------------------------------------------------
    async def put_contact(
        self, uow: UnitOfWork, user_id: str, contact_id: str, sealed: str
    ) -> None:
        await SafetyRepository(uow).put_contact(contact_id, user_id, sealed, self._clock.now())

    async def remove_contact(self, uow: UnitOfWork, contact_id: str) -> None:
        await SafetyRepository(uow).delete_contact(contact_id)

    async def put_first_name(self, uow: UnitOfWork, user_id: str, first_name: str) -> None:
        await SafetyRepository(uow).put_first_name(user_id, first_name)

    async def match_created(self, uow: UnitOfWork, match_id: str, user_ids: list[str]) -> None:
        a, b = user_ids
        await SafetyRepository(uow).put_match(match_id, a, b, self._clock.now())

    async def match_ended(self, uow: UnitOfWork, match_id: str) -> None:
        await SafetyRepository(uow).end_match(match_id, self._clock.now())

    async def erase_user(self, uow: UnitOfWork, user_id: str) -> None:
        await SafetyRepository(uow).erase_user(user_id)
        await self._queue.erase_user(uow, user_id)

    async def contacts(self, uow: UnitOfWork, user_id: str) -> SafetyContacts:
        opened = self._open_contacts(await SafetyRepository(uow).contacts(user_id))
        return SafetyContacts(
            contacts=[SafetyContact(id=c.id, **c.details.model_dump()) for c in opened]
        )

    async def put_device(self, uow: UnitOfWork, user_id: str, device_id: str, token: str) -> None:
        sealed = self._cipher.encrypt(token)
        await SafetyRepository(uow).put_device(user_id, device_id, sealed, self._clock.now())

    async def remove_device(self, uow: UnitOfWork, user_id: str, device_id: str) -> None:
        if not await SafetyRepository(uow).delete_device(user_id, device_id):
            raise NotFound("No such device.")

    # --- PINs -----------------------------------------------------------------------------------
    async def set_pin(self, uow: UnitOfWork, user_id: str, body: PinIn) -> None:
        if body.duress_pin is not None and body.duress_pin == body.pin:
            raise ValidationFailed(
                "The duress PIN must differ from the PIN.",
                details=[{"field": "duressPin", "message": "same as pin"}],
            )
        repo = SafetyRepository(uow)
        if await repo.pin_hashes(user_id) is not None:
            # Whoever holds an unlocked phone must not be able to set a PIN they then know.
            if body.current_pin is None:
                raise ValidationFailed(
                    "Your current PIN is needed to change it.",
                    details=[{"field": "currentPin", "message": "required"}],
                )
            attempts, _ = await self._kv.hit(f"safety:pin-attempts:{user_id}", 3600)
            if attempts > PIN_ATTEMPTS:
                raise RateLimited("Too many wrong PINs; try again later.")
            if not await self._check_pin(repo, user_id, body.current_pin):
                raise Forbidden("That PIN is not right.")
        pin_hash = await asyncio.to_thread(self._hasher.hash, body.pin)
        duress_hash = (
            await asyncio.to_thread(self._hasher.hash, body.duress_pin)
            if body.duress_pin is not None
            else None
        )
        await repo.put_pins(user_id, pin_hash, duress_hash, self._clock.now())

    async def _check_pin(self, repo: SafetyRepository, user_id: str, pin: str) -> bool:
        """True for the PIN, False for the duress PIN; anything else is refused."""
        hashes = await repo.pin_hashes(user_id)
        if hashes is None:
            raise Conflict("Set a safety PIN first (PUT /v1/safety/pin).")
        pin_hash, duress_hash = hashes

        def matches(stored: str | None) -> bool:
            if stored is None:
                return False
            try:
                return self._hasher.verify(stored, pin)
            except (VerificationError, InvalidHashError):
                return False

        # Both are always checked, so the time taken does not tell which one it was.
        is_pin, is_duress = await asyncio.gather(
            asyncio.to_thread(matches, pin_hash), asyncio.to_thread(matches, duress_hash)
        )
        if is_pin:
            return True
        if is_duress:
            return False
        raise Forbidden("That PIN is not right.")

    # --- alerts ---------------------------------------------------------------------------------
    def _alert_view(
        self, row: AlertRow, location: Location | None, *, for_moderator: bool = False
    ) -> Alert:
        """The owner sees a duress cancel as a cancel; moderators see the truth."""
        status, ended_at = row.status, row.ended_at
        if row.duress_at is not None and not for_moderator:
            status, ended_at = "CANCELLED", row.duress_at
        message = self._cipher.decrypt(row.sealed_message) if row.sealed_message else None
        return Alert(
            id=row.id,
            type=row.type,
            status=status,
            created_at=row.created_at,
            ended_at=ended_at,
            location=location,
            message=message,
            user_id=row.user_id if for_moderator else None,
            duress=(row.duress_at is not None) if for_moderator else None,
        )

    async def _latest_location(self, repo: SafetyRepository, alert_id: str) -> Location | None:
        points = await repo.trail(alert_id, limit=1)
        return self._open_location(points[-1].sealed) if points else None

    async def raise_alert(self, uow: UnitOfWork, user_id: str, body: AlertIn) -> Alert:
        repo = SafetyRepository(uow)
        now = self._clock.now()
        alert_id, token = new_id(), secrets.token_urlsafe(32)
        await repo.add_alert(
            id=alert_id,
            user_id=user_id,
            type=body.type,
            status="ACTIVE",
            sealed_message=self._cipher.encrypt(body.message) if body.message else None,
            live_token_hash=_token_hash(token),
            live_expires_at=now + timedelta(seconds=self._settings.live_link_ttl_seconds),
            created_at=now,
        )
        await repo.add_point(alert_id, self._seal_location(body.location), now)
        live_url = f"{self._settings.base_url}/v1/safety/live/{token}"
        name = await self._name(uow, user_id)
        message = f'\nTheir message: "{body.message}"\n' if body.message else ""
        await self._tell_contacts(
            uow,
            self._open_contacts(await repo.contacts(user_id)),
            f"alert:{alert_id}:raised",
            f"EMERGENCY: {name} needs help",
            f"{name} raised an emergency alert ({body.type}) on Disco at "
            f"{now:%Y-%m-%d %H:%M} UTC and listed you as their emergency contact.\n{message}\n"
            f"See where they are, live: {live_url}\n\n"
            "If you think they are in danger, call the emergency services.",
            user_id=user_id,
            alert_id=alert_id,
        )
        await self._tell_user(
            uow,
            user_id,
            f"alert:{alert_id}:raised",
            "safety_alert",
            "Your emergency alert is active; your contacts are being told.",
            {"alertId": alert_id, "status": "ACTIVE"},
            priority=Priority.EMERGENCY,
            push=True,
        )
        await uow.publish(AlertRaised(alert_id=alert_id, user_id=user_id, alert_type=body.type))
        view = self._alert_view(
            AlertRow(alert_id, user_id, body.type, "ACTIVE", None, None, now, now, None),
            Location.model_validate(body.location.model_dump()),
        )
        return view.model_copy(update={"live_url": live_url, "message": body.message})

    async def _visible_alert(
        self, repo: SafetyRepository, who: Principal, alert_id: str
    ) -> AlertRow:
        row = await repo.alert(alert_id)
        if row is None or (row.user_id != who.user_id and not who.is_moderator):
            raise NotFound("No such alert.")
        return row

    async def alert(self, uow: UnitOfWork, who: Principal, alert_id: str) -> Alert:
        repo = SafetyRepository(uow)
        row = await self._visible_alert(repo, who, alert_id)
        location = await self._latest_location(repo, row.id)
        return self._alert_view(row, location, for_moderator=row.user_id != who.user_id)

    async def alerts(self, uow: UnitOfWork, who: Principal, moderation: bool) -> list[Alert]:
        """The caller's alerts, or (moderators) every alert still active, duress ones included."""
        repo = SafetyRepository(uow)
        if moderation and not who.is_moderator:
            raise Forbidden("Only moderators see every active alert.")
        rows = await (repo.active_alerts() if moderation else repo.alerts_of(who.user_id))
        return [
            self._alert_view(r, await self._latest_location(repo, r.id), for_moderator=moderation)
            for r in rows
        ]

    async def add_location(
        self, uow: UnitOfWork, user_id: str, alert_id: str, location: LocationIn
    ) -> Alert:
        repo = SafetyRepository(uow)
        row = await repo.alert(alert_id)
        if row is None or row.user_id != user_id:
            raise NotFound("No such alert.")
        if row.status != "ACTIVE":
            raise Conflict("The alert has ended.")
        await repo.add_point(alert_id, self._seal_location(location), self._clock.now())
        if row.duress_at is not None:
            # The phone must go on believing the alert was cancelled, but the point is kept.
            raise Conflict("The alert has ended.", keep_changes=True)
        return self._alert_view(row, Location.model_validate(location.model_dump()))

    async def end_alert(
        self, uow: UnitOfWork, who: Principal, alert_id: str, status: str, pin: str | None
    ) -> Alert:
        """RESOLVED or CANCELLED. The owner needs their PIN; the duress PIN answers the same
        but leaves the alert active and tells the contacts. Moderators resolve without one."""
        repo = SafetyRepository(uow)
        row = await self._visible_alert(repo, who, alert_id)
        owner = row.user_id == who.user_id
        if row.status != "ACTIVE" or (owner and row.duress_at is not None):
            raise Conflict("The alert has already ended.")
        genuine = True
        if owner:
            if pin is None:
                raise ValidationFailed(
                    "Your safety PIN is needed.", details=[{"field": "pin", "message": "required"}]
                )
            attempts, _ = await self._kv.hit(f"safety:pin-attempts:{alert_id}", 3600)
            if attempts > PIN_ATTEMPTS:
                raise RateLimited("Too many wrong PINs; the alert stays active.")
            genuine = await self._check_pin(repo, row.user_id, pin)
        now = self._clock.now()
        name = await self._name(uow, row.user_id)
        contacts = self._open_contacts(await repo.contacts(row.user_id))
        if genuine:
            await repo.end_alert(alert_id, status, now)
            await self._tell_contacts(
                uow,
                contacts,
                f"alert:{alert_id}:ended",
                f"{name} is safe: the alert has ended",
                f"{name}'s emergency alert was {status.lower()} at {now:%H:%M} UTC.",
                user_id=row.user_id,
                alert_id=alert_id,
            )
            await uow.publish(AlertResolved(alert_id=alert_id, user_id=row.user_id, status=status))
        else:
            await repo.mark_duress(alert_id, now)
            await self._tell_contacts(
                uow,
                contacts,
                f"alert:{alert_id}:duress",
                f"URGENT: {name} may be forced to cancel their alert",
                f"{name}'s emergency alert was cancelled at {now:%H:%M} UTC with their duress "
                "PIN: they may be with someone forcing them to. Treat the alert as still active. "
                "The live link in the first message keeps working. "
                "Call the emergency services if you cannot reach them safely.",
                user_id=row.user_id,
                alert_id=alert_id,
            )
        if owner:
            await self._tell_user(
                uow,
                row.user_id,
                f"alert:{alert_id}:ended",
                "safety_alert",
                f"Your emergency alert was {status.lower()}.",
                {"alertId": alert_id, "status": status},
            )
        ended = AlertRow(
            row.id,
            row.user_id,
            row.type,
            status if genuine else "ACTIVE",
            row.sealed_message,
            None if genuine else now,
            row.live_expires_at,
            row.created_at,
            now if genuine else None,
        )
        location = await self._latest_location(repo, alert_id)
        return self._alert_view(ended, location, for_moderator=not owner)

    async def live_view(self, uow: UnitOfWork, token: str) -> LiveView:
        repo = SafetyRepository(uow)
        row = await repo.alert_by_live_token(_token_hash(token), self._clock.now())
        if row is None:
            raise NotFound("This link is not valid or has expired.")
        trail = [
            TrailPoint(**self._open_location(p.sealed).model_dump(), recorded_at=p.recorded_at)
            for p in await repo.trail(row.id)
        ]
        return LiveView(
            id=row.id,
            type=row.type,
            status=row.status,
            duress=row.duress_at is not None,
            created_at=row.created_at,
            ended_at=row.ended_at,
            message=self._cipher.decrypt(row.sealed_message) if row.sealed_message else None,
            location=trail[-1] if trail else None,
            trail=trail,
        )

    # --- check-ins ------------------------------------------------------------------------------
    def _checkin_view(self, row: CheckinRow) -> Checkin:
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

    async def _own_checkin(
        self, repo: SafetyRepository, user_id: str, checkin_id: str
    ) -> CheckinRow:
        row = await repo.checkin(checkin_id)
        if row is None or row.user_id != user_id:
            raise NotFound("No such check-in.")
        return row

    async def _participant_match(self, repo: SafetyRepository, user_id: str, match_id: str) -> str:
        """The partner in ``match_id``; NotFound unless the caller is in it."""
        match = await repo.match(match_id)
        partner = match.partner_of(user_id) if match else None
        if partner is None:
            raise NotFound("No such match.")
        return partner

    async def schedule_checkin(self, uow: UnitOfWork, user_id: str, body: CheckinIn) -> Checkin:
        repo = SafetyRepository(uow)
        now = self._clock.now()
        if body.due_at <= now:
            raise ValidationFailed(
                "The check-in must be due in the future.",
                details=[{"field": "dueAt", "message": "in the past"}],
            )
        if body.due_at > now + timedelta(days=30):
            raise ValidationFailed(
                "A check-in can be at most 30 days ahead.",
                details=[{"field": "dueAt", "message": "too far ahead"}],
            )
        if body.match_id is not None:
            await self._participant_match(repo, user_id, body.match_id)
        s = self._settings
        checkin_id = new_id()
        remind_at = body.due_at - timedelta(seconds=s.checkin_reminder_seconds)
        await repo.add_checkin(
            id=checkin_id,
            user_id=user_id,
            match_id=body.match_id,
            sealed_details=self._cipher.encrypt_json({"place": body.place, "note": body.note}),
            sealed_location=self._seal_location(body.location) if body.location else None,
            status="ACTIVE",
            due_at=body.due_at,
            remind_at=max(now, remind_at),
            # Due sooner than the reminder lead: the user has just set it, no reminder needed.
            reminded_at=now if remind_at <= now else None,
            escalate_at=body.due_at + timedelta(seconds=s.checkin_grace_seconds),
            escalation_reason="MISSED",
            created_at=now,
        )
        row = await repo.checkin(checkin_id)
        assert row is not None
        return self._checkin_view(row)

    async def checkins(self, uow: UnitOfWork, user_id: str) -> list[Checkin]:
        return [self._checkin_view(r) for r in await SafetyRepository(uow).checkins_of(user_id)]

    async def heartbeat(
        self, uow: UnitOfWork, user_id: str, checkin_id: str, location: LocationIn | None
    ) -> Checkin:
        """The app is alive: push the dead-man's switch back (never past the due time's grace)."""
        repo = SafetyRepository(uow)
        row = await self._own_checkin(repo, user_id, checkin_id)
        now = self._clock.now()
        missed_at = row.due_at + timedelta(seconds=self._settings.checkin_grace_seconds)
        silent_at = now + timedelta(seconds=self._settings.checkin_heartbeat_timeout_seconds)
        values: dict[str, Any] = {
            "last_heartbeat_at": now,
            "escalate_at": min(missed_at, silent_at),
            "escalation_reason": "SILENT" if silent_at < missed_at else "MISSED",
        }
        if location is not None:
            values["sealed_location"] = self._seal_location(location)
        if not await repo.update_checkin(checkin_id, ["ACTIVE"], **values):
            raise Conflict("The check-in is no longer active.")
        updated = await repo.checkin(checkin_id)
        assert updated is not None
        return self._checkin_view(updated)

    async def confirm_checkin(self, uow: UnitOfWork, user_id: str, checkin_id: str) -> Checkin:
        """I am fine. After an escalation, the contacts are told so too."""
        repo = SafetyRepository(uow)
        row = await self._own_checkin(repo, user_id, checkin_id)
        now = self._clock.now()
        if not await repo.update_checkin(
            checkin_id, ["ACTIVE", "ESCALATED"], status="CONFIRMED", confirmed_at=now
        ):
            raise Conflict("The check-in is no longer active.")
        if row.status == "ESCALATED":
            name = await self._name(uow, user_id)
            await self._tell_contacts(
                uow,
                self._open_contacts(await repo.contacts(user_id)),
                f"checkin:{checkin_id}:confirmed",
                f"{name} has checked in: they are fine",
                f"{name} confirmed they are safe at {now:%H:%M} UTC, after their check-in was "
                "late. No need to act on the earlier message.",
                user_id=user_id,
                checkin_id=checkin_id,
            )
        if row.match_id is not None:
            match = await repo.match(row.match_id)
            for participant in (match.user_a, match.user_b) if match else ():
                await self._tell_user(
                    uow,
                    participant,
                    f"checkin:{checkin_id}:rate",
                    "notification",
                    "How did your meetup go? Rate it to help keep Disco safe.",
                    {"kind": "rating_prompt", "matchId": row.match_id},
                    priority=Priority.ROUTINE,
                )
        updated = await repo.checkin(checkin_id)
        assert updated is not None
        return self._checkin_view(updated)

    async def cancel_checkin(self, uow: UnitOfWork, user_id: str, checkin_id: str) -> Checkin:
        repo = SafetyRepository(uow)
        await self._own_checkin(repo, user_id, checkin_id)
        if not await repo.update_checkin(checkin_id, ["ACTIVE"], status="CANCELLED"):
            raise Conflict("The check-in is no longer active.")
        updated = await repo.checkin(checkin_id)
        assert updated is not None
        return self._checkin_view(updated)

    async def run_due(self, uow: UnitOfWork) -> int:
        """One scheduler pass: remind and escalate what is due by the injected clock.

        Each row is claimed by a status change in this transaction, together with the
        notifications it owes: killed before the commit, nothing happened and the next pass
        (in this process or another) does it; after, it is done and never done again.
        """
        repo = SafetyRepository(uow)
        now = self._clock.now()
        reminders = await repo.claim_due("remind_at", now, {"reminded_at": now}, SCHEDULER_BATCH)
        escalations = await repo.claim_due(
            "escalate_at", now, {"status": "ESCALATED", "escalated_at": now}, SCHEDULER_BATCH
        )
        if not reminders and not escalations:
            return 0
        # What the pass needs to know of the people it tells, loaded once for the whole batch.
        people = await self._people(repo, {r.user_id for r in (*reminders, *escalations)})
        for row in reminders:
            await self._tell_user(
                uow,
                row.user_id,
                f"checkin:{row.id}:reminder",
                "checkin_reminder",
                "Your safety check-in is due soon: confirm you are fine.",
                {"checkinId": row.id, "dueAt": row.due_at.isoformat()},
                push=True,
                devices=people.devices.get(row.user_id, []),
            )
        for row in escalations:
            await self._escalate(uow, row, people, now)
        return len(reminders) + len(escalations)

    async def _people(self, repo: SafetyRepository, user_ids: set[str]) -> _People:
        ids = sorted(user_ids)
        alert_ids = await repo.active_alert_ids(ids)
        alert_locations = {}
        for user_id, alert_id in alert_ids.items():
            location = await self._latest_location(repo, alert_id)
            if location is not None:
                alert_locations[user_id] = location
        return _People(
            names=await repo.first_names(ids),
            contacts={
                user_id: self._open_contacts(rows)
                for user_id, rows in (await repo.contacts_of(ids)).items()
            },
            devices=await repo.devices_of(ids),
            alert_locations=alert_locations,
        )

    async def _escalate(
        self, uow: UnitOfWork, row: CheckinRow, people: _People, now: datetime
    ) -> None:
        name = people.names.get(row.user_id, ANONYMOUS)
        details = self._cipher.decrypt_json(row.sealed_details)
        # An active alert's latest point beats what the check-in was last given.
        location = people.alert_locations.get(row.user_id) or (
            self._open_location(row.sealed_location) if row.sealed_location else None
        )
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
        await self._tell_contacts(
            uow,
            people.contacts.get(row.user_id, []),
            f"checkin:{row.id}:escalated",
            f"Check on {name}: their safety check-in was missed",
            "\n".join(lines),
            user_id=row.user_id,
            checkin_id=row.id,
        )
        await self._tell_user(
            uow,
            row.user_id,
            f"checkin:{row.id}:escalated",
            "notification",
            "Your check-in was missed, so your emergency contacts were told. "
            "Confirm if you are fine.",
            {"kind": "checkin_escalated", "checkinId": row.id},
            priority=Priority.EMERGENCY,
            push=True,
            devices=people.devices.get(row.user_id, []),
        )
        reason = row.escalation_reason or "MISSED"
        await uow.publish(
            CheckinEscalated(checkin_id=row.id, user_id=row.user_id, reason=reason),
            occurred_at=now,
        )

    # --- reports and moderation -----------------------------------------------------------------
    def _report_view(self, row: ReportRow) -> Report:
        return Report(
            id=row.id,
            user_id=row.reported_id,
            reason=row.reason,
            status=row.status,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def file_report(self, uow: UnitOfWork, reporter_id: str, body: ReportIn) -> Report:
        if body.user_id == reporter_id:
            raise ValidationFailed(
                "You cannot report yourself.", details=[{"field": "userId", "message": "self"}]
            )
        now = self._clock.now()
        evidence = {
            "details": body.details,
            "message_ids": body.message_ids,
            "messages": [m.model_dump(mode="json", by_alias=True) for m in body.messages],
        }
        report_id = new_id()
        values = {
            "id": report_id,
            "reporter_id": reporter_id,
            "reported_id": body.user_id,
            "reason": body.reason,
            "sealed_evidence": self._cipher.encrypt_json(evidence),
            "status": "OPEN",
            "created_at": now,
            "updated_at": now,
        }
        await SafetyRepository(uow).add_report(**values)
        await uow.publish(
            ReportFiled(
                report_id=report_id,
                reporter_id=reporter_id,
                reported_id=body.user_id,
                reason=body.reason,
            )
        )
        return self._report_view(ReportRow(**values))  # type: ignore[arg-type]

    async def my_reports(self, uow: UnitOfWork, reporter_id: str) -> list[Report]:
        return [self._report_view(r) for r in await SafetyRepository(uow).reports_by(reporter_id)]

    async def my_report(self, uow: UnitOfWork, reporter_id: str, report_id: str) -> Report:
        row = await SafetyRepository(uow).report(report_id)
        if row is None or row.reporter_id != reporter_id:
            raise NotFound("No such report.")
        return self._report_view(row)

    @staticmethod
    def _require_moderator(who: Principal) -> None:
        if not who.is_moderator:
            raise Forbidden("Only moderators can do that.")

    async def _moderation_view(self, repo: SafetyRepository, row: ReportRow) -> ModerationReport:
        evidence = self._cipher.decrypt_json(row.sealed_evidence)
        return ModerationReport(
            **self._report_view(row).model_dump(),
            reporter_id=row.reporter_id,
            details=evidence["details"],
            message_ids=evidence["message_ids"],
            messages=evidence["messages"],
            actions=await repo.actions(row.id),
            reported_trust=await self._trust(repo, row.reported_id),
        )

    async def report_queue(
        self, uow: UnitOfWork, who: Principal, status: str | None, limit: int
    ) -> list[ModerationReport]:
        self._require_moderator(who)
        repo = SafetyRepository(uow)
        return [
            await self._moderation_view(repo, r) for r in await repo.report_queue(status, limit)
        ]

    async def act(
        self, uow: UnitOfWork, who: Principal, report_id: str, body: ActionIn
    ) -> ModerationReport:
        self._require_moderator(who)
        repo = SafetyRepository(uow)
        row = await repo.report(report_id)
        if row is None:
            raise NotFound("No such report.")
        now = self._clock.now()
        if body.action == "suspend" and (body.until is None or body.until <= now):
            raise ValidationFailed(
                "A suspension needs an end in the future.",
                details=[{"field": "until", "message": "required, in the future"}],
            )
        until = body.until if body.action == "suspend" else None
        await repo.add_action(
            id=new_id(),
            report_id=report_id,
            moderator_id=who.user_id,
            user_id=row.reported_id,
            action=body.action,
            note=body.note,
            until=until,
            created_at=now,
        )
        await repo.set_report_status(report_id, "ACTIONED", now)
        await uow.publish(
            ModerationActionTaken(
                user_id=row.reported_id, action=body.action, until=until, report_id=report_id
            )
        )
        if body.action == "warn":
            await uow.publish(
                RealtimePushed(
                    user_ids=[row.reported_id],
                    frame_type="notification",
                    data={
                        "kind": "moderation_warning",
                        "body": "A moderator reviewed a report about you: please follow the "
                        "community rules.",
                    },
                )
            )
        updated = await repo.report(report_id)
        assert updated is not None
        return await self._moderation_view(repo, updated)

    # --- ratings and trust ----------------------------------------------------------------------
    async def rate(self, uow: UnitOfWork, rater_id: str, body: RatingIn) -> Rating:
        """Once per person per match, by a participant; the match may since have ended."""
        repo = SafetyRepository(uow)
        partner = await self._participant_match(repo, rater_id, body.match_id)
        now = self._clock.now()
        added = await repo.add_rating(
            match_id=body.match_id,
            rater_id=rater_id,
            rated_id=partner,
            score=body.score,
            comment=body.comment,
            created_at=now,
        )
        if not added:
            raise Conflict("You already rated this match.")
        return Rating(
            match_id=body.match_id, score=body.score, comment=body.comment, created_at=now
        )

    async def _trust(self, repo: SafetyRepository, user_id: str) -> TrustScore:
        stats = await repo.rating_stats(user_id)
        return TrustScore(
            user_id=user_id,
            score=trust_score(stats.count, stats.total),
            ratings=stats.count,
            reports=await repo.count_reports_about(user_id),
        )

    async def trust(self, uow: UnitOfWork, who: Principal, user_id: str) -> TrustScore:
        self._require_moderator(who)
        return await self._trust(SafetyRepository(uow), user_id)

    # --- meeting spots --------------------------------------------------------------------------
    async def meeting_spots(
        self, uow: UnitOfWork, user_id: str, match_id: str, latitude: float, longitude: float
    ) -> MeetingSpots:
        """Venues near the midpoint of both people's ~500 m cells.

        Each participant's app sends its own position with the request; only the cell centre is
        kept (in the key-value store, for an hour, per match) so the other can use it. The
        answer lists venues only, by name, never the midpoint or a distance.
        """
        repo = SafetyRepository(uow)
        match = await repo.match(match_id)
        partner = match.partner_of(user_id) if match and match.ended_at is None else None
        if partner is None:
            raise NotFound("No such match.")
        mine = _cell_center(latitude, longitude)
        await self._kv.set(
            f"safety:cell:{match_id}:{user_id}", f"{mine[0]},{mine[1]}", ttl=CELL_TTL_SECONDS
        )
        theirs = await self._kv.get(f"safety:cell:{match_id}:{partner}")
        if theirs is None:
            center, basis = mine, "you"
        else:
            lat, lon = (float(x) for x in theirs.split(","))
            center, basis = ((mine[0] + lat) / 2, (mine[1] + lon) / 2), "both"
        for radius in SPOT_SEARCH_METERS:
            d_lat = radius / _METERS_PER_DEGREE
            d_lon = d_lat / max(math.cos(math.radians(center[0])), 0.01)
            venues = await repo.venues_within(
                center[0] - d_lat, center[1] - d_lon, center[0] + d_lat, center[1] + d_lon, 500
            )
            if venues:
                break

        def distance(v: Any) -> float:
            return math.hypot(
                v.latitude - center[0],
                (v.longitude - center[1]) * math.cos(math.radians(center[0])),
            )

        nearest = sorted(venues, key=distance)[:SPOT_LIMIT]
        # By name, so the order does not point at the midpoint.
        spots = sorted(
            (
                Spot(
                    id=v.id,
                    name=v.name,
                    category=v.category,
                    latitude=v.latitude,
                    longitude=v.longitude,
                )
                for v in nearest
            ),
            key=lambda s: (s.name, s.id),
        )
        return MeetingSpots(basis=basis, spots=spots)


class CheckinScheduler:
    """Runs ``SafetyService.run_due`` in a loop for the app's lifetime.

    Polls in real time (``poll_seconds``) but decides what is due by the injected clock, so a
    test clock drives it. A full batch is followed at once by the next pass.
    """

    def __init__(self, db: Database, service: SafetyService, poll_seconds: float = 0.2) -> None:
        self._db = db
        self._service = service
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
                    done = await self._service.run_due(uow)
            except Exception:
                # A database that is away for a moment must not end the schedule.
                log.exception("check-in scheduler pass failed; retrying")
            if done < SCHEDULER_BATCH:
                await asyncio.sleep(self._poll_seconds)

"""The rules of alerts: raised to every contact at once with a live link, a trail of positions,
ended with the owner's PIN or, seemingly, with the duress PIN. Never commits: an alert and the
notifications it owes are queued in the endpoint's unit of work and commit together."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from disco.contracts.events.safety import AlertRaised, AlertResolved
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed
from disco.platform.security import Principal
from disco.safety.alerts.pins import Pins
from disco.safety.alerts.repository import AlertRow, AlertsRepository
from disco.safety.alerts.schemas import Alert, AlertIn, LiveView, TrailPoint
from disco.safety.locations import open_location, seal_location
from disco.safety.notify import Priority
from disco.safety.people.tell import Teller
from disco.safety.replays import RequestKeys, fingerprint
from disco.safety.schemas import Location, LocationIn

__all__ = ["AlertsService"]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AlertsService:
    def __init__(
        self, ctx: ServiceContext, teller: Teller, pins: Pins, request_keys: RequestKeys
    ) -> None:
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._cipher = ctx.cipher
        self._tell = teller
        self._pins = pins
        self._request_keys = request_keys

    # --- views ----------------------------------------------------------------------------------
    def _view(self, row: AlertRow, location: Location | None, *, for_moderator: bool) -> Alert:
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

    async def _latest_location(self, repo: AlertsRepository, alert_id: str) -> Location | None:
        points = await repo.trail(alert_id, limit=1)
        return open_location(self._cipher, points[-1].sealed) if points else None

    async def latest_locations(
        self, uow: UnitOfWork, user_ids: Iterable[str]
    ) -> dict[str, Location]:
        """Where each of these users' active alert last placed them, for those who have one."""
        repo = AlertsRepository(uow)
        found = {}
        for user_id, alert_id in (await repo.active_alert_ids(sorted(set(user_ids)))).items():
            location = await self._latest_location(repo, alert_id)
            if location is not None:
                found[user_id] = location
        return found

    async def _visible(self, repo: AlertsRepository, who: Principal, alert_id: str) -> AlertRow:
        row = await repo.alert(alert_id)
        if row is None or (row.user_id != who.user_id and not who.is_moderator):
            raise NotFound("No such alert.")
        return row

    # --- raising --------------------------------------------------------------------------------
    async def raise_alert(
        self, uow: UnitOfWork, user_id: str, body: AlertIn, idempotency_key: str | None = None
    ) -> Alert:
        """A new alert told to every contact; with a key used before, that first alert again
        (``replays.py``), as a read of it shows it.

        A retry's position is not a different request: the app may have a fresher fix by then,
        and refusing an SOS for it would be the worst answer. It goes on the trail by
        ``.../location``, as every later position does."""
        repo = AlertsRepository(uow)
        now = self._clock.now()
        alert_id, token = new_id(), secrets.token_urlsafe(32)
        if idempotency_key is not None:
            first = await self._request_keys.claim(
                uow,
                user_id,
                "alert",
                idempotency_key,
                resource_id=alert_id,
                request=fingerprint(body.type, body.message),
            )
            if first is not None:
                return await self._view_of_own(repo, user_id, first)
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
        await repo.add_point(alert_id, seal_location(self._cipher, body.location), now)
        # The web app's page for it (no account needed), which reads GET /v1/safety/live/{token}.
        live_url = f"{self._settings.base_url}/#/live/{token}"
        name = await self._tell.name(uow, user_id)
        message = f'\nTheir message: "{body.message}"\n' if body.message else ""
        await self._tell.tell_contacts(
            uow,
            await self._tell.contacts(uow, user_id),
            f"alert:{alert_id}:raised",
            f"EMERGENCY: {name} needs help",
            f"{name} raised an emergency alert ({body.type}) on Disco at "
            f"{now:%Y-%m-%d %H:%M} UTC and listed you as their emergency contact.\n{message}\n"
            f"See where they are, live: {live_url}\n\n"
            "If you think they are in danger, call the emergency services.",
            user_id=user_id,
            alert_id=alert_id,
        )
        await self._tell.tell_user(
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
        view = self._view(
            AlertRow(alert_id, user_id, body.type, "ACTIVE", None, None, now, now, None),
            Location.model_validate(body.location.model_dump()),
            for_moderator=False,
        )
        return view.model_copy(update={"live_url": live_url, "message": body.message})

    async def _view_of_own(self, repo: AlertsRepository, user_id: str, alert_id: str) -> Alert:
        row = await repo.alert(alert_id)
        if row is None or row.user_id != user_id:
            raise NotFound("No such alert.")
        return self._view(row, await self._latest_location(repo, row.id), for_moderator=False)

    # --- reading --------------------------------------------------------------------------------
    async def alert(self, uow: UnitOfWork, who: Principal, alert_id: str) -> Alert:
        repo = AlertsRepository(uow)
        row = await self._visible(repo, who, alert_id)
        location = await self._latest_location(repo, row.id)
        return self._view(row, location, for_moderator=row.user_id != who.user_id)

    async def export(self, uow: UnitOfWork, user_id: str) -> list[dict[str, Any]]:
        """The user's alerts for their data export, each with the whole trail it still has."""
        repo = AlertsRepository(uow)
        exported = []
        for row in await repo.alerts_of(user_id):
            points = await repo.trail(row.id)
            trail = [open_location(self._cipher, point.sealed) for point in points]
            view = self._view(row, trail[-1] if trail else None, for_moderator=False)
            exported.append(
                {
                    **view.model_dump(mode="json", by_alias=True),
                    "trail": [
                        {
                            **place.model_dump(mode="json", by_alias=True),
                            "recordedAt": point.recorded_at.isoformat(),
                        }
                        for point, place in zip(points, trail, strict=True)
                    ],
                }
            )
        return exported

    async def alerts(self, uow: UnitOfWork, who: Principal, moderation: bool) -> list[Alert]:
        """The caller's alerts, or (moderators) every alert still active, duress ones included."""
        repo = AlertsRepository(uow)
        if moderation and not who.is_moderator:
            raise Forbidden("Only moderators see every active alert.")
        rows = await (repo.active_alerts() if moderation else repo.alerts_of(who.user_id))
        return [
            self._view(r, await self._latest_location(repo, r.id), for_moderator=moderation)
            for r in rows
        ]

    async def live_view(self, uow: UnitOfWork, token: str) -> LiveView:
        repo = AlertsRepository(uow)
        row = await repo.alert_by_live_token(_token_hash(token), self._clock.now())
        if row is None:
            raise NotFound("This link is not valid or has expired.")
        trail = [
            TrailPoint(
                **open_location(self._cipher, p.sealed).model_dump(), recorded_at=p.recorded_at
            )
            for p in await repo.trail(row.id)
        ]
        return LiveView(
            id=row.id,
            # The first name the alert mail already gave the holder of the link.
            name=await self._tell.name(uow, row.user_id),
            type=row.type,
            status=row.status,
            duress=row.duress_at is not None,
            created_at=row.created_at,
            ended_at=row.ended_at,
            message=self._cipher.decrypt(row.sealed_message) if row.sealed_message else None,
            location=trail[-1] if trail else None,
            trail=trail,
        )

    # --- while it lasts -------------------------------------------------------------------------
    async def add_location(
        self, uow: UnitOfWork, user_id: str, alert_id: str, location: LocationIn
    ) -> Alert:
        repo = AlertsRepository(uow)
        row = await repo.alert(alert_id)
        if row is None or row.user_id != user_id:
            raise NotFound("No such alert.")
        if row.status != "ACTIVE":
            raise Conflict("The alert has ended.")
        await repo.add_point(alert_id, seal_location(self._cipher, location), self._clock.now())
        if row.duress_at is not None:
            # The phone must go on believing the alert was cancelled, but the point is kept.
            raise Conflict("The alert has ended.", keep_changes=True)
        return self._view(row, Location.model_validate(location.model_dump()), for_moderator=False)

    async def end_alert(
        self, uow: UnitOfWork, who: Principal, alert_id: str, status: str, pin: str | None
    ) -> Alert:
        """RESOLVED or CANCELLED. The owner needs their PIN; the duress PIN answers the same
        but leaves the alert active and tells the contacts. Moderators resolve without one."""
        repo = AlertsRepository(uow)
        row = await self._visible(repo, who, alert_id)
        owner = row.user_id == who.user_id
        if row.status != "ACTIVE" or (owner and row.duress_at is not None):
            raise Conflict("The alert has already ended.")
        genuine = True
        if owner:
            if pin is None:
                raise ValidationFailed(
                    "Your safety PIN is needed.", details=[{"field": "pin", "message": "required"}]
                )
            genuine = await self._pins.check(
                repo, row.user_id, pin, tries=alert_id, refusal="the alert stays active"
            )
        now = self._clock.now()
        name = await self._tell.name(uow, row.user_id)
        contacts = await self._tell.contacts(uow, row.user_id)
        if genuine:
            await repo.end_alert(alert_id, status, now)
            await self._tell.tell_contacts(
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
            await self._tell.tell_contacts(
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
            await self._tell.tell_user(
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
        return self._view(ended, location, for_moderator=not owner)

    async def erase_user(self, uow: UnitOfWork, user_id: str) -> None:
        await AlertsRepository(uow).erase_user(user_id)

"""Every SQL statement of the safety service's tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from disco.platform.db import UnitOfWork
from disco.safety import models as m

__all__ = [
    "AlertRow",
    "CheckinRow",
    "ContactRow",
    "MatchRow",
    "PointRow",
    "RatingStats",
    "ReportRow",
    "SafetyRepository",
    "VenueRow",
]


@dataclass(frozen=True, slots=True)
class ContactRow:
    contact_id: str
    user_id: str
    sealed: str


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: str
    user_id: str
    type: str
    status: str
    sealed_message: str | None
    duress_at: datetime | None
    live_expires_at: datetime
    created_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class PointRow:
    sealed: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class CheckinRow:
    id: str
    user_id: str
    match_id: str | None
    sealed_details: str
    sealed_location: str | None
    status: str
    due_at: datetime
    remind_at: datetime
    reminded_at: datetime | None
    escalate_at: datetime
    last_heartbeat_at: datetime | None
    escalated_at: datetime | None
    escalation_reason: str | None
    confirmed_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MatchRow:
    match_id: str
    user_a: str
    user_b: str
    ended_at: datetime | None

    def partner_of(self, user_id: str) -> str | None:
        if user_id == self.user_a:
            return self.user_b
        if user_id == self.user_b:
            return self.user_a
        return None


@dataclass(frozen=True, slots=True)
class ReportRow:
    id: str
    reporter_id: str
    reported_id: str
    reason: str
    sealed_evidence: str
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RatingStats:
    count: int
    total: int


@dataclass(frozen=True, slots=True)
class VenueRow:
    id: str
    name: str
    category: str
    latitude: float
    longitude: float


# Alerts whose live view still shows them as in progress: active, or cancelled under duress.
_ACTIVE = "ACTIVE"


class SafetyRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self._s = uow.session
        self._postgres = uow.session.get_bind().dialect.name == "postgresql"

    def _insert(self, table: Any) -> Any:
        return (pg_insert if self._postgres else sqlite_insert)(table)

    async def _rowcount(self, statement: Any) -> int:
        result = await self._s.execute(statement)
        return int(result.rowcount)  # type: ignore[attr-defined]

    # --- contacts (projection of users.contact.*) -----------------------------------------------
    async def put_contact(self, contact_id: str, user_id: str, sealed: str, now: datetime) -> None:
        values = {"contact_id": contact_id, "user_id": user_id, "sealed": sealed, "updated_at": now}
        await self._s.execute(
            self._insert(m.contacts)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["contact_id"], set_={"sealed": sealed, "updated_at": now}
            )
        )

    async def delete_contact(self, contact_id: str) -> None:
        await self._s.execute(delete(m.contacts).where(m.contacts.c.contact_id == contact_id))

    async def contacts(self, user_id: str) -> list[ContactRow]:
        c = m.contacts
        rows = await self._s.execute(
            select(c.c.contact_id, c.c.user_id, c.c.sealed)
            .where(c.c.user_id == user_id)
            .order_by(c.c.contact_id)
        )
        return [ContactRow(**row._asdict()) for row in rows]

    async def put_first_name(self, user_id: str, first_name: str) -> None:
        await self._s.execute(
            self._insert(m.people)
            .values(user_id=user_id, first_name=first_name)
            .on_conflict_do_update(index_elements=["user_id"], set_={"first_name": first_name})
        )

    async def first_name(self, user_id: str) -> str | None:
        p = m.people
        query = select(p.c.first_name).where(p.c.user_id == user_id)
        name: str | None = (await self._s.execute(query)).scalar_one_or_none()
        return name

    # --- devices --------------------------------------------------------------------------------
    async def put_device(self, user_id: str, device_id: str, sealed: str, now: datetime) -> None:
        await self._s.execute(
            self._insert(m.devices)
            .values(user_id=user_id, device_id=device_id, sealed_token=sealed, updated_at=now)
            .on_conflict_do_update(
                index_elements=["user_id", "device_id"],
                set_={"sealed_token": sealed, "updated_at": now},
            )
        )

    async def delete_device(self, user_id: str, device_id: str) -> bool:
        d = m.devices
        return bool(
            await self._rowcount(
                delete(d).where(d.c.user_id == user_id, d.c.device_id == device_id)
            )
        )

    async def devices(self, user_id: str) -> list[tuple[str, str]]:
        """(device id, sealed push token) of each of the user's phones."""
        d = m.devices
        rows = await self._s.execute(
            select(d.c.device_id, d.c.sealed_token).where(d.c.user_id == user_id)
        )
        return [(row.device_id, row.sealed_token) for row in rows]

    # --- several users at once (a scheduler pass) ---------------------------------------------
    async def first_names(self, user_ids: Sequence[str]) -> dict[str, str]:
        p = m.people
        rows = await self._s.execute(
            select(p.c.user_id, p.c.first_name).where(p.c.user_id.in_(user_ids))
        )
        return {row.user_id: row.first_name for row in rows}

    async def contacts_of(self, user_ids: Sequence[str]) -> dict[str, list[ContactRow]]:
        c = m.contacts
        rows = await self._s.execute(
            select(c.c.contact_id, c.c.user_id, c.c.sealed)
            .where(c.c.user_id.in_(user_ids))
            .order_by(c.c.contact_id)
        )
        found: dict[str, list[ContactRow]] = {}
        for row in rows:
            found.setdefault(row.user_id, []).append(ContactRow(**row._asdict()))
        return found

    async def devices_of(self, user_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        d = m.devices
        rows = await self._s.execute(
            select(d.c.user_id, d.c.device_id, d.c.sealed_token).where(d.c.user_id.in_(user_ids))
        )
        found: dict[str, list[tuple[str, str]]] = {}
        for row in rows:
            found.setdefault(row.user_id, []).append((row.device_id, row.sealed_token))
        return found

    async def active_alert_ids(self, user_ids: Sequence[str]) -> dict[str, str]:
        """Each user's latest active alert, for those who have one."""
        a = m.alerts
        rows = await self._s.execute(
            select(a.c.user_id, a.c.id)
            .where(a.c.user_id.in_(user_ids), a.c.status == _ACTIVE)
            .order_by(a.c.created_at)
        )
        return {row.user_id: row.id for row in rows}

    # --- PINs -----------------------------------------------------------------------------------
    async def pin_hashes(self, user_id: str) -> tuple[str, str | None] | None:
        p = m.pins
        row = (
            await self._s.execute(
                select(p.c.pin_hash, p.c.duress_hash).where(p.c.user_id == user_id)
            )
        ).first()
        return (row.pin_hash, row.duress_hash) if row else None

    async def put_pins(
        self, user_id: str, pin_hash: str, duress_hash: str | None, now: datetime
    ) -> None:
        values = {"pin_hash": pin_hash, "duress_hash": duress_hash, "updated_at": now}
        await self._s.execute(
            self._insert(m.pins)
            .values(user_id=user_id, **values)
            .on_conflict_do_update(index_elements=["user_id"], set_=values)
        )

    # --- alerts ---------------------------------------------------------------------------------
    def _alerts(self) -> Select[Any]:
        a = m.alerts
        return select(
            a.c.id,
            a.c.user_id,
            a.c.type,
            a.c.status,
            a.c.sealed_message,
            a.c.duress_at,
            a.c.live_expires_at,
            a.c.created_at,
            a.c.ended_at,
        )

    async def add_alert(self, **values: Any) -> None:
        await self._s.execute(m.alerts.insert().values(**values))

    async def alert(self, alert_id: str) -> AlertRow | None:
        row = (await self._s.execute(self._alerts().where(m.alerts.c.id == alert_id))).first()
        return AlertRow(**row._asdict()) if row else None

    async def alert_by_live_token(self, token_hash: str, now: datetime) -> AlertRow | None:
        a = m.alerts
        query = self._alerts().where(a.c.live_token_hash == token_hash, a.c.live_expires_at > now)
        row = (await self._s.execute(query)).first()
        return AlertRow(**row._asdict()) if row else None

    async def alerts_of(self, user_id: str, limit: int = 100) -> list[AlertRow]:
        a = m.alerts
        rows = await self._s.execute(
            self._alerts()
            .where(a.c.user_id == user_id)
            .order_by(a.c.created_at.desc(), a.c.id)
            .limit(limit)
        )
        return [AlertRow(**row._asdict()) for row in rows]

    async def active_alerts(self, limit: int = 200) -> list[AlertRow]:
        a = m.alerts
        rows = await self._s.execute(
            self._alerts()
            .where(a.c.status == _ACTIVE)
            .order_by(a.c.created_at.desc(), a.c.id)
            .limit(limit)
        )
        return [AlertRow(**row._asdict()) for row in rows]

    async def end_alert(self, alert_id: str, status: str, now: datetime) -> bool:
        """ACTIVE -> ``status``; False if it was no longer active (a concurrent end)."""
        a = m.alerts
        return bool(
            await self._rowcount(
                update(a)
                .where(a.c.id == alert_id, a.c.status == _ACTIVE)
                .values(status=status, ended_at=now)
            )
        )

    async def mark_duress(self, alert_id: str, now: datetime) -> bool:
        a = m.alerts
        return bool(
            await self._rowcount(
                update(a)
                .where(a.c.id == alert_id, a.c.status == _ACTIVE, a.c.duress_at.is_(None))
                .values(duress_at=now)
            )
        )

    async def add_point(self, alert_id: str, sealed: str, now: datetime) -> None:
        await self._s.execute(
            m.alert_points.insert().values(alert_id=alert_id, sealed=sealed, recorded_at=now)
        )

    async def trail(self, alert_id: str, limit: int = 1000) -> list[PointRow]:
        """The latest ``limit`` points, oldest first."""
        p = m.alert_points
        rows = list(
            await self._s.execute(
                select(p.c.sealed, p.c.recorded_at)
                .where(p.c.alert_id == alert_id)
                .order_by(p.c.id.desc())
                .limit(limit)
            )
        )
        return [PointRow(**row._asdict()) for row in reversed(rows)]

    # --- check-ins ------------------------------------------------------------------------------
    async def add_checkin(self, **values: Any) -> None:
        await self._s.execute(m.checkins.insert().values(**values))

    async def checkin(self, checkin_id: str) -> CheckinRow | None:
        c = m.checkins
        row = (await self._s.execute(select(c).where(c.c.id == checkin_id))).first()
        return CheckinRow(**row._asdict()) if row else None

    async def checkins_of(self, user_id: str, limit: int = 100) -> list[CheckinRow]:
        c = m.checkins
        rows = await self._s.execute(
            select(c).where(c.c.user_id == user_id).order_by(c.c.due_at.desc(), c.c.id).limit(limit)
        )
        return [CheckinRow(**row._asdict()) for row in rows]

    async def update_checkin(
        self, checkin_id: str, from_status: Sequence[str], **values: Any
    ) -> bool:
        """Change a check-in still in one of ``from_status``; False if it had moved on."""
        c = m.checkins
        return bool(
            await self._rowcount(
                update(c).where(c.c.id == checkin_id, c.c.status.in_(from_status)).values(**values)
            )
        )

    async def claim_due(
        self, column: str, now: datetime, values: dict[str, Any], limit: int
    ) -> list[CheckinRow]:
        """Claim up to ``limit`` active check-ins whose ``column`` time has come, by updating
        them to ``values`` in this transaction: the claim commits with the notifications it sends,
        and a second process (PostgreSQL: rows locked by the first are skipped; SQLite: one
        writer at a time, and the update re-checks) can never claim the same row."""
        c = m.checkins
        due = [c.c.status == _ACTIVE, c.c[column] <= now]
        if column == "remind_at":
            due.append(c.c.reminded_at.is_(None))
        if self._postgres:
            ids = (
                select(c.c.id)
                .where(*due)
                .order_by(c.c[column])
                .limit(limit)
                .with_for_update(skip_locked=True)
                .scalar_subquery()
            )
            statement = update(c).where(c.c.id.in_(ids), *due)
        else:
            # A write first, so SQLite takes its lock before it reads what is due.
            ids = select(c.c.id).where(*due).order_by(c.c[column]).limit(limit).scalar_subquery()
            statement = update(c).where(c.c.id.in_(ids))
        rows = await self._s.execute(statement.values(**values).returning(*c.c))
        return [CheckinRow(**row._asdict()) for row in rows]

    # --- matches (projection of match.*) --------------------------------------------------------
    async def put_match(self, match_id: str, user_a: str, user_b: str, now: datetime) -> None:
        await self._s.execute(
            self._insert(m.matches)
            .values(match_id=match_id, user_a=user_a, user_b=user_b, created_at=now)
            .on_conflict_do_nothing()
        )

    async def end_match(self, match_id: str, now: datetime) -> None:
        t = m.matches
        await self._s.execute(
            update(t).where(t.c.match_id == match_id, t.c.ended_at.is_(None)).values(ended_at=now)
        )

    async def match(self, match_id: str) -> MatchRow | None:
        t = m.matches
        row = (
            await self._s.execute(
                select(t.c.match_id, t.c.user_a, t.c.user_b, t.c.ended_at).where(
                    t.c.match_id == match_id
                )
            )
        ).first()
        return MatchRow(**row._asdict()) if row else None

    # --- reports and moderation -----------------------------------------------------------------
    async def add_report(self, **values: Any) -> None:
        await self._s.execute(m.reports.insert().values(**values))

    async def report(self, report_id: str) -> ReportRow | None:
        r = m.reports
        row = (await self._s.execute(select(r).where(r.c.id == report_id))).first()
        return ReportRow(**row._asdict()) if row else None

    async def reports_by(self, reporter_id: str) -> list[ReportRow]:
        r = m.reports
        rows = await self._s.execute(
            select(r).where(r.c.reporter_id == reporter_id).order_by(r.c.created_at.desc())
        )
        return [ReportRow(**row._asdict()) for row in rows]

    async def report_queue(self, status: str | None, limit: int) -> list[ReportRow]:
        """Oldest first: the queue is worked in the order people asked for help."""
        r = m.reports
        query = select(r).order_by(r.c.created_at, r.c.id).limit(limit)
        if status is not None:
            query = query.where(r.c.status == status)
        return [ReportRow(**row._asdict()) for row in await self._s.execute(query)]

    async def count_reports_about(self, user_id: str) -> int:
        r = m.reports
        query = select(func.count()).select_from(r).where(r.c.reported_id == user_id)
        return int((await self._s.execute(query)).scalar_one())

    async def set_report_status(self, report_id: str, status: str, now: datetime) -> None:
        r = m.reports
        await self._s.execute(
            update(r).where(r.c.id == report_id).values(status=status, updated_at=now)
        )

    async def add_action(self, **values: Any) -> None:
        await self._s.execute(m.moderation_actions.insert().values(**values))

    async def actions(self, report_id: str) -> list[dict[str, Any]]:
        a = m.moderation_actions
        rows = await self._s.execute(
            select(a.c.id, a.c.action, a.c.note, a.c.until, a.c.created_at)
            .where(a.c.report_id == report_id)
            .order_by(a.c.created_at, a.c.id)
        )
        return [dict(row._asdict()) for row in rows]

    # --- ratings --------------------------------------------------------------------------------
    async def add_rating(self, **values: Any) -> bool:
        """False if this rater already rated this match."""
        return bool(
            await self._rowcount(self._insert(m.ratings).values(**values).on_conflict_do_nothing())
        )

    async def rating_stats(self, user_id: str) -> RatingStats:
        r = m.ratings
        row = (
            await self._s.execute(
                select(func.count(), func.coalesce(func.sum(r.c.score), 0)).where(
                    r.c.rated_id == user_id
                )
            )
        ).one()
        return RatingStats(count=int(row[0]), total=int(row[1]))

    # --- venues ---------------------------------------------------------------------------------
    async def upsert_venues(self, venues: Sequence[dict[str, Any]], now: datetime) -> None:
        for venue in venues:
            values = {**venue, "updated_at": now}
            await self._s.execute(
                self._insert(m.venues)
                .values(**values)
                .on_conflict_do_update(
                    index_elements=["id"], set_={k: v for k, v in values.items() if k != "id"}
                )
            )

    async def venues_within(
        self, south: float, west: float, north: float, east: float, limit: int
    ) -> list[VenueRow]:
        v = m.venues
        rows = await self._s.execute(
            select(v.c.id, v.c.name, v.c.category, v.c.latitude, v.c.longitude)
            .where(v.c.latitude.between(south, north), v.c.longitude.between(west, east))
            .limit(limit)
        )
        return [VenueRow(**row._asdict()) for row in rows]

    # --- erasure --------------------------------------------------------------------------------
    async def erase_user(self, user_id: str) -> None:
        """Every row naming the user (trail points and actions go with their parents)."""
        await self._s.execute(delete(m.contacts).where(m.contacts.c.user_id == user_id))
        await self._s.execute(delete(m.pins).where(m.pins.c.user_id == user_id))
        await self._s.execute(delete(m.people).where(m.people.c.user_id == user_id))
        await self._s.execute(delete(m.devices).where(m.devices.c.user_id == user_id))
        await self._s.execute(delete(m.alerts).where(m.alerts.c.user_id == user_id))
        await self._s.execute(delete(m.checkins).where(m.checkins.c.user_id == user_id))
        t = m.matches
        await self._s.execute(delete(t).where(or_(t.c.user_a == user_id, t.c.user_b == user_id)))
        r = m.reports
        await self._s.execute(
            delete(r).where(or_(r.c.reporter_id == user_id, r.c.reported_id == user_id))
        )
        a = m.moderation_actions
        await self._s.execute(
            delete(a).where(or_(a.c.user_id == user_id, a.c.moderator_id == user_id))
        )
        g = m.ratings
        await self._s.execute(
            delete(g).where(or_(g.c.rater_id == user_id, g.c.rated_id == user_id))
        )

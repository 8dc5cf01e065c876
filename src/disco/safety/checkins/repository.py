"""Every SQL statement of check-ins, the scheduler's claims of due ones included."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from disco.platform.repository import Repository
from disco.safety import models as m

__all__ = ["CheckinRow", "CheckinsRepository"]


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


class CheckinsRepository(Repository):
    async def add(self, **values: Any) -> None:
        await self._s.execute(m.checkins.insert().values(**values))

    async def get(self, checkin_id: str) -> CheckinRow | None:
        c = m.checkins
        row = (await self._s.execute(select(c).where(c.c.id == checkin_id))).first()
        return CheckinRow(**row._asdict()) if row else None

    async def of_user(self, user_id: str, limit: int = 100) -> list[CheckinRow]:
        c = m.checkins
        rows = await self._s.execute(
            select(c).where(c.c.user_id == user_id).order_by(c.c.due_at.desc(), c.c.id).limit(limit)
        )
        return [CheckinRow(**row._asdict()) for row in rows]

    async def update(self, checkin_id: str, from_status: Sequence[str], **values: Any) -> bool:
        """Change a check-in still in one of ``from_status``; False if it had moved on."""
        c = m.checkins
        return bool(
            await self.rowcount(
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
        due = [c.c.status == "ACTIVE", c.c[column] <= now]
        if column == "remind_at":
            due.append(c.c.reminded_at.is_(None))
        if self.is_postgres:
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

    async def erase_user(self, user_id: str) -> None:
        await self._s.execute(delete(m.checkins).where(m.checkins.c.user_id == user_id))

"""Every SQL statement of reports and moderators' actions on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from disco.platform.repository import Repository
from disco.safety import models as m

__all__ = ["ModerationRepository", "ReportRow"]


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


class ModerationRepository(Repository):
    # --- reports --------------------------------------------------------------------------------
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

    # --- actions --------------------------------------------------------------------------------
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

    # --- erasure --------------------------------------------------------------------------------
    async def erase_user(self, user_id: str) -> None:
        """Reports by or about the user (their actions go with them), and actions naming them."""
        r = m.reports
        await self._s.execute(
            delete(r).where(or_(r.c.reporter_id == user_id, r.c.reported_id == user_id))
        )
        a = m.moderation_actions
        await self._s.execute(
            delete(a).where(or_(a.c.user_id == user_id, a.c.moderator_id == user_id))
        )

"""Every SQL statement of alerts, their trails of positions, and the PINs that end them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select, update

from disco.platform.repository import Repository
from disco.safety import models as m

__all__ = ["AlertRow", "AlertsRepository", "PointRow"]


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


# Alerts whose live view still shows them as in progress: active, or cancelled under duress.
_ACTIVE = "ACTIVE"


def _alerts() -> Select[Any]:
    return select(*(m.alerts.c[name] for name in AlertRow.__dataclass_fields__))


class AlertsRepository(Repository):
    # --- PINs -----------------------------------------------------------------------------------
    async def pin_hashes(self, user_id: str) -> tuple[str, str | None] | None:
        p = m.pins
        query = select(p.c.pin_hash, p.c.duress_hash).where(p.c.user_id == user_id)
        row = (await self._s.execute(query)).first()
        return (row.pin_hash, row.duress_hash) if row else None

    async def put_pins(
        self, user_id: str, pin_hash: str, duress_hash: str | None, now: datetime
    ) -> None:
        values = {"pin_hash": pin_hash, "duress_hash": duress_hash, "updated_at": now}
        await self.upsert(m.pins, {"user_id": user_id, **values}, key=["user_id"])

    # --- alerts ---------------------------------------------------------------------------------
    async def add_alert(self, **values: Any) -> None:
        await self._s.execute(m.alerts.insert().values(**values))

    async def alert(self, alert_id: str) -> AlertRow | None:
        return await self._one(_alerts().where(m.alerts.c.id == alert_id))

    async def alert_by_live_token(self, token_hash: str, now: datetime) -> AlertRow | None:
        a = m.alerts
        return await self._one(
            _alerts().where(a.c.live_token_hash == token_hash, a.c.live_expires_at > now)
        )

    async def alerts_of(self, user_id: str, limit: int = 100) -> list[AlertRow]:
        return await self._newest(m.alerts.c.user_id == user_id, limit)

    async def active_alerts(self, limit: int = 200) -> list[AlertRow]:
        return await self._newest(m.alerts.c.status == _ACTIVE, limit)

    async def active_alert_ids(self, user_ids: Sequence[str]) -> dict[str, str]:
        """Each user's latest active alert, for those who have one."""
        a = m.alerts
        rows = await self._s.execute(
            select(a.c.user_id, a.c.id)
            .where(a.c.user_id.in_(user_ids), a.c.status == _ACTIVE)
            .order_by(a.c.created_at)
        )
        return {row.user_id: row.id for row in rows}

    async def end_alert(self, alert_id: str, status: str, now: datetime) -> bool:
        """ACTIVE -> ``status``; False if it was no longer active (a concurrent end)."""
        a = m.alerts
        return bool(
            await self.rowcount(
                update(a)
                .where(a.c.id == alert_id, a.c.status == _ACTIVE)
                .values(status=status, ended_at=now)
            )
        )

    async def mark_duress(self, alert_id: str, now: datetime) -> bool:
        a = m.alerts
        return bool(
            await self.rowcount(
                update(a)
                .where(a.c.id == alert_id, a.c.status == _ACTIVE, a.c.duress_at.is_(None))
                .values(duress_at=now)
            )
        )

    async def _one(self, query: Select[Any]) -> AlertRow | None:
        row = (await self._s.execute(query)).first()
        return AlertRow(**row._asdict()) if row else None

    async def _newest(self, where: Any, limit: int) -> list[AlertRow]:
        a = m.alerts
        query = _alerts().where(where).order_by(a.c.created_at.desc(), a.c.id).limit(limit)
        return [AlertRow(**row._asdict()) for row in await self._s.execute(query)]

    # --- trails ---------------------------------------------------------------------------------
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

    # --- erasure --------------------------------------------------------------------------------
    async def erase_user(self, user_id: str) -> None:
        """The user's PINs and alerts (their trails go with them)."""
        await self._s.execute(delete(m.pins).where(m.pins.c.user_id == user_id))
        await self._s.execute(delete(m.alerts).where(m.alerts.c.user_id == user_id))

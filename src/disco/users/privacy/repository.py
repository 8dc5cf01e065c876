"""Every SQL statement of privacy zones and blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select

from disco.platform.repository import Repository
from disco.users import models as m

__all__ = ["BlockRow", "PrivacyRepository", "ZoneRow"]


@dataclass(frozen=True, slots=True)
class ZoneRow:
    id: str
    sealed: str
    radius_meters: int
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BlockRow:
    user_id: str
    blocked_id: str
    until: datetime | None
    created_at: datetime


_z, _b = m.privacy_zones, m.blocks
_ZONE = [_z.c[name] for name in ZoneRow.__dataclass_fields__]


def _live(until: Any, now: datetime) -> Any:
    return or_(until.is_(None), until > now)


class PrivacyRepository(Repository):
    # --- privacy zones --------------------------------------------------------------------------
    async def zones(self, user_id: str, now: datetime) -> list[ZoneRow]:
        rows = await self._s.execute(
            select(*_ZONE)
            .where(_z.c.user_id == user_id, _live(_z.c.expires_at, now))
            .order_by(_z.c.created_at, _z.c.id)
        )
        return [ZoneRow(**row._asdict()) for row in rows]

    async def add_zone(self, **values: Any) -> None:
        await self._s.execute(_z.insert().values(**values))

    async def delete_zone(self, user_id: str, zone_id: str) -> bool:
        return bool(
            await self.rowcount(delete(_z).where(_z.c.id == zone_id, _z.c.user_id == user_id))
        )

    async def delete_expired_zones(self, user_id: str, now: datetime) -> None:
        await self._s.execute(
            delete(_z).where(
                _z.c.user_id == user_id, _z.c.expires_at.is_not(None), _z.c.expires_at <= now
            )
        )

    # --- blocks ---------------------------------------------------------------------------------
    async def blocks(self, user_id: str, now: datetime) -> list[BlockRow]:
        rows = await self._s.execute(
            select(_b)
            .where(_b.c.user_id == user_id, _live(_b.c.until, now))
            .order_by(_b.c.created_at, _b.c.blocked_id)
        )
        return [BlockRow(**row._asdict()) for row in rows]

    async def blocked_either_way(self, a: str, b: str, now: datetime) -> bool:
        query = select(_b.c.user_id).where(
            or_(
                and_(_b.c.user_id == a, _b.c.blocked_id == b),
                and_(_b.c.user_id == b, _b.c.blocked_id == a),
            ),
            _live(_b.c.until, now),
        )
        return (await self._s.execute(query.limit(1))).first() is not None

    async def put_block(
        self, user_id: str, blocked_id: str, until: datetime | None, now: datetime
    ) -> None:
        """Block, or change the end of a block (a renewed block counts from now)."""
        values = {"user_id": user_id, "blocked_id": blocked_id, "until": until, "created_at": now}
        await self.upsert(_b, values, key=["user_id", "blocked_id"])

    async def next_block_version(self, user_id: str, blocked_id: str) -> int:
        key = {"user_id": user_id, "blocked_id": blocked_id}
        return await self.next_version(m.block_versions, key)

    async def delete_block(self, user_id: str, blocked_id: str, now: datetime) -> bool:
        """Lift a block that is still in force; False if there is none."""
        lifted = delete(_b).where(
            _b.c.user_id == user_id, _b.c.blocked_id == blocked_id, _live(_b.c.until, now)
        )
        return bool(await self.rowcount(lifted))

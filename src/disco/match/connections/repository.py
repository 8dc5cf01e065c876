"""Every SQL statement of connections and matches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update

from disco.match.connections.models import connections
from disco.match.models import encounters, profiles
from disco.platform.repository import Repository

__all__ = ["ACCEPTED", "DECLINED", "PENDING", "ConnectionRow", "ConnectionsRepository", "pair"]

PENDING, DECLINED, ACCEPTED = "pending", "declined", "accepted"


def pair(a: str, b: str) -> tuple[str, str]:
    """A pair's key, the same whoever comes first."""
    return (a, b) if a < b else (b, a)


@dataclass(frozen=True, slots=True)
class ConnectionRow:
    id: str
    requester_id: str
    recipient_id: str
    status: str
    requested_at: datetime
    matched_at: datetime | None

    def names(self, user_id: str) -> bool:
        return user_id in (self.requester_id, self.recipient_id)

    def other(self, user_id: str) -> str:
        return self.recipient_id if user_id == self.requester_id else self.requester_id


_COLUMNS = (
    connections.c.id,
    connections.c.requester_id,
    connections.c.recipient_id,
    connections.c.status,
    connections.c.requested_at,
    connections.c.matched_at,
)


def _naming(user_id: str) -> Any:
    c = connections.c
    return or_(c.requester_id == user_id, c.recipient_id == user_id)


class ConnectionsRepository(Repository):
    async def first_names(self, user_ids: list[str]) -> dict[str, str]:
        """From the profiles discovery projects (a pair can only match once both are there)."""
        query = select(profiles.c.user_id, profiles.c.first_name).where(
            profiles.c.user_id.in_(user_ids)
        )
        return {row.user_id: row.first_name for row in await self._s.execute(query)}

    async def met_since(self, a: str, b: str, since: datetime) -> bool:
        e = encounters.c
        low, high = pair(a, b)
        query = select(e.met_at).where(e.user_low == low, e.user_high == high, e.met_at >= since)
        return (await self._s.execute(query)).first() is not None

    async def get(self, connection_id: str) -> ConnectionRow | None:
        query = select(*_COLUMNS).where(connections.c.id == connection_id)
        row = (await self._s.execute(query)).first()
        return ConnectionRow(**row._asdict()) if row else None

    async def between(self, a: str, b: str) -> ConnectionRow | None:
        low, high = pair(a, b)
        c = connections.c
        query = select(*_COLUMNS).where(c.user_low == low, c.user_high == high)
        row = (await self._s.execute(query)).first()
        return ConnectionRow(**row._asdict()) if row else None

    async def add_request(
        self, connection_id: str, requester_id: str, recipient_id: str, at: datetime
    ) -> bool:
        """False if the pair already has a row (the other asked at the same moment, say)."""
        low, high = pair(requester_id, recipient_id)
        added = await self._s.execute(
            self.insert(connections)
            .values(
                id=connection_id,
                requester_id=requester_id,
                recipient_id=recipient_id,
                user_low=low,
                user_high=high,
                status=PENDING,
                requested_at=at,
            )
            .on_conflict_do_nothing()
        )
        return bool(added.rowcount)  # type: ignore[attr-defined]

    async def accept(self, connection_id: str, at: datetime) -> bool:
        """False if it already was accepted: a match is made (and announced) once."""
        c = connections.c
        changed = await self._s.execute(
            update(connections)
            .where(c.id == connection_id, c.status != ACCEPTED)
            .values(status=ACCEPTED, matched_at=at)
        )
        return bool(changed.rowcount)  # type: ignore[attr-defined]

    async def decline(self, connection_id: str) -> None:
        c = connections.c
        await self._s.execute(
            update(connections)
            .where(c.id == connection_id, c.status == PENDING)
            .values(status=DECLINED)
        )

    async def of_user(self, user_id: str) -> list[ConnectionRow]:
        c = connections.c
        query = select(*_COLUMNS).where(_naming(user_id)).order_by(c.requested_at.desc(), c.id)
        return [ConnectionRow(**row._asdict()) for row in await self._s.execute(query)]

    async def matches(self, user_id: str) -> list[ConnectionRow]:
        """Newest match first."""
        c = connections.c
        query = (
            select(*_COLUMNS)
            .where(_naming(user_id), c.status == ACCEPTED)
            .order_by(c.matched_at.desc(), c.id)
        )
        return [ConnectionRow(**row._asdict()) for row in await self._s.execute(query)]

    async def remove(self, connection_id: str) -> bool:
        """False if it was already gone (a concurrent unmatch)."""
        removed = await self._s.execute(
            delete(connections).where(connections.c.id == connection_id)
        )
        return bool(removed.rowcount)  # type: ignore[attr-defined]

    async def erase_user(self, user_id: str) -> list[ConnectionRow]:
        """Every row naming the user, deleted; returns them."""
        gone = await self.of_user(user_id)
        await self._s.execute(delete(connections).where(_naming(user_id)))
        return gone

"""Every SQL statement of the chat service's rooms, members, people and privacy settings.

Messages, media and expiry have their own repositories beside their code
(``messages/repository.py``, ``media/repository.py``, ``expiry.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, or_, select, update

from disco.chat import models as m
from disco.platform.repository import Repository

__all__ = ["ChatRepository", "MemberRow", "Privacy", "RoomRow"]


@dataclass(frozen=True, slots=True)
class RoomRow:
    id: str
    match_id: str
    user_low: str
    user_high: str
    status: str
    closed_reason: str | None
    timer_seconds: int | None
    last_seq: int
    last_message_at: datetime | None
    created_at: datetime

    @property
    def user_ids(self) -> list[str]:
        return [self.user_low, self.user_high]

    def peer_of(self, user_id: str) -> str:
        return self.user_high if user_id == self.user_low else self.user_low


@dataclass(frozen=True, slots=True)
class MemberRow:
    room_id: str
    user_id: str
    peer_id: str
    delivered_seq: int
    read_seq: int
    can_read: bool


@dataclass(frozen=True, slots=True)
class Privacy:
    read_receipts: bool = True
    typing: bool = True
    presence: bool = True


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


class ChatRepository(Repository):
    # --- rooms ----------------------------------------------------------------------------------
    async def open_room(
        self, room_id: str, match_id: str, user_ids: list[str], now: datetime
    ) -> bool:
        """A room for the match, once: False if the match already has one."""
        low, high = pair(*user_ids)
        created = await self.insert_new(
            m.rooms,
            {
                "id": room_id,
                "match_id": match_id,
                "user_low": low,
                "user_high": high,
                "status": "open",
                "last_seq": 0,
                "created_at": now,
            },
        )
        if created:
            for user_id, peer_id in ((low, high), (high, low)):
                await self._s.execute(
                    m.members.insert().values(
                        room_id=room_id,
                        user_id=user_id,
                        peer_id=peer_id,
                        delivered_seq=0,
                        read_seq=0,
                        can_read=True,
                    )
                )
        return created

    async def room(self, room_id: str) -> RoomRow | None:
        row = (await self._s.execute(select(m.rooms).where(m.rooms.c.id == room_id))).first()
        return None if row is None else _room_row(row)

    async def room_of_match(self, match_id: str) -> RoomRow | None:
        query = select(m.rooms).where(m.rooms.c.match_id == match_id)
        row = (await self._s.execute(query)).first()
        return None if row is None else _room_row(row)

    async def open_rooms_of_pair(self, a: str, b: str) -> list[RoomRow]:
        low, high = pair(a, b)
        query = select(m.rooms).where(
            m.rooms.c.user_low == low, m.rooms.c.user_high == high, m.rooms.c.status == "open"
        )
        return [_room_row(r) for r in await self._s.execute(query)]

    async def rooms_of(self, user_id: str) -> list[RoomRow]:
        query = (
            select(m.rooms)
            .join(m.members, m.members.c.room_id == m.rooms.c.id)
            .where(m.members.c.user_id == user_id, m.members.c.can_read.is_(True))
            .order_by(m.rooms.c.last_message_at.desc().nulls_last(), m.rooms.c.created_at.desc())
        )
        return [_room_row(r) for r in await self._s.execute(query)]

    async def open_peers_of(self, user_id: str) -> list[str]:
        """Everyone who shares an open room with ``user_id``."""
        query = (
            select(m.members.c.peer_id)
            .join(m.rooms, m.rooms.c.id == m.members.c.room_id)
            .where(m.members.c.user_id == user_id, m.rooms.c.status == "open")
        )
        return sorted(set((await self._s.execute(query)).scalars()))

    async def close_room(self, room_id: str, reason: str, now: datetime) -> bool:
        """Close an open room; False if it was closed already."""
        return bool(
            await self.rowcount(
                update(m.rooms)
                .where(m.rooms.c.id == room_id, m.rooms.c.status == "open")
                .values(status="closed", closed_reason=reason, closed_at=now)
            )
        )

    async def set_timer(self, room_id: str, seconds: int | None) -> None:
        await self._s.execute(
            update(m.rooms).where(m.rooms.c.id == room_id).values(timer_seconds=seconds)
        )

    async def take_next_seq(self, room_id: str, now: datetime) -> RoomRow | None:
        """An open room with its next message number taken (its ``last_seq``; the row is
        locked until commit), in one statement; None if the room is closed."""
        row = (
            await self._s.execute(
                update(m.rooms)
                .where(m.rooms.c.id == room_id, m.rooms.c.status == "open")
                .values(last_seq=m.rooms.c.last_seq + 1, last_message_at=now)
                .returning(*(m.rooms.c[k] for k in _ROOM_FIELDS))
            )
        ).first()
        return None if row is None else _room_row(row)

    async def rooms_naming(self, user_id: str) -> list[RoomRow]:
        query = select(m.rooms).where(
            or_(m.rooms.c.user_low == user_id, m.rooms.c.user_high == user_id)
        )
        return [_room_row(r) for r in await self._s.execute(query)]

    # --- members --------------------------------------------------------------------------------
    async def member(self, room_id: str, user_id: str) -> MemberRow | None:
        query = select(m.members).where(
            m.members.c.room_id == room_id, m.members.c.user_id == user_id
        )
        row = (await self._s.execute(query)).first()
        return None if row is None else MemberRow(**row._mapping)

    async def members_of(self, user_id: str) -> dict[str, MemberRow]:
        query = select(m.members).where(m.members.c.user_id == user_id)
        return {r.room_id: MemberRow(**r._mapping) for r in await self._s.execute(query)}

    async def advance(self, room_id: str, user_id: str, column: str, seq: int) -> bool:
        """Move ``delivered_seq`` or ``read_seq`` forward (never back); True if it moved.
        Reading implies receiving, so a read moves ``delivered_seq`` along with it."""
        target = m.members.c[column]
        values: dict[str, object] = {column: seq}
        if column == "read_seq":
            larger = func.greatest if self.is_postgres else func.max  # SQLite's scalar max
            values["delivered_seq"] = larger(m.members.c.delivered_seq, seq)
        return bool(
            await self.rowcount(
                update(m.members)
                .where(
                    m.members.c.room_id == room_id,
                    m.members.c.user_id == user_id,
                    target < seq,
                )
                .values(**values)
            )
        )

    async def forbid_reading(self, room_id: str, user_id: str) -> None:
        await self._s.execute(
            update(m.members)
            .where(m.members.c.room_id == room_id, m.members.c.user_id == user_id)
            .values(can_read=False)
        )

    async def unread_counts(self, user_id: str, now: datetime) -> dict[str, int]:
        """Messages from the peer past the member's read mark and not yet expired, by room."""
        me = m.members
        msg = m.messages
        query = (
            select(msg.c.room_id, func.count())
            .join(me, and_(me.c.room_id == msg.c.room_id, me.c.user_id == user_id))
            .where(msg.c.seq > me.c.read_seq, msg.c.sender_id != user_id, msg.c.expires_at > now)
            .group_by(msg.c.room_id)
        )
        return {room_id: int(n) for room_id, n in await self._s.execute(query)}

    async def erase_member(self, user_id: str) -> None:
        await self._s.execute(delete(m.members).where(m.members.c.user_id == user_id))

    # --- people and privacy ---------------------------------------------------------------------
    async def put_first_name(self, user_id: str, first_name: str, *, replace: bool = True) -> None:
        """``replace=False``: only if none is known yet."""
        await self.upsert(
            m.people,
            {"user_id": user_id, "first_name": first_name},
            key=["user_id"],
            update=None if replace else [],
        )

    async def first_names(self, user_ids: list[str]) -> dict[str, str]:
        query = select(m.people).where(m.people.c.user_id.in_(user_ids))
        return {r.user_id: r.first_name for r in await self._s.execute(query)}

    async def privacy(self, user_ids: list[str]) -> dict[str, Privacy]:
        query = select(m.privacy).where(m.privacy.c.user_id.in_(user_ids))
        found = {
            r.user_id: Privacy(r.read_receipts, r.typing, r.presence)
            for r in await self._s.execute(query)
        }
        return {user_id: found.get(user_id, Privacy()) for user_id in user_ids}

    async def put_privacy(self, user_id: str, privacy: Privacy) -> None:
        await self.upsert(
            m.privacy,
            {
                "user_id": user_id,
                "read_receipts": privacy.read_receipts,
                "typing": privacy.typing,
                "presence": privacy.presence,
            },
            key=["user_id"],
        )

    async def erase_person(self, user_id: str) -> None:
        await self._s.execute(delete(m.people).where(m.people.c.user_id == user_id))
        await self._s.execute(delete(m.privacy).where(m.privacy.c.user_id == user_id))


_ROOM_FIELDS = tuple(RoomRow.__dataclass_fields__)


def _room_row(row: Row[Any]) -> RoomRow:
    return RoomRow(**{k: row._mapping[k] for k in _ROOM_FIELDS})

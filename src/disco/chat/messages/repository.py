"""Every SQL statement of messages and the senders' client ids."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from disco.chat import models as m
from disco.platform.repository import Repository

__all__ = ["MessageRow", "MessagesRepository"]


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: str
    room_id: str
    seq: int
    sender_id: str
    sender_device_id: str | None
    client_message_id: str | None
    ciphertext: str
    franking_tag: str | None
    server_tag: str | None
    media_ids: list[str]
    sent_at: datetime
    expires_at: datetime


def _row(row: object) -> MessageRow:
    values = dict(row._mapping)  # type: ignore[attr-defined]
    values["media_ids"] = json.loads(values["media_ids"]) if values["media_ids"] else []
    return MessageRow(**values)


_COLUMNS = [m.messages.c[name] for name in MessageRow.__dataclass_fields__]


class MessagesRepository(Repository):
    async def claim_client_id(
        self, room_id: str, sender_id: str, client_message_id: str, message_id: str, until: datetime
    ) -> str:
        """The message id this client id names: ``message_id`` if it is new, else the one a
        previous send (committed, or committing now: PostgreSQL waits for it) recorded."""
        values = {
            "room_id": room_id,
            "sender_id": sender_id,
            "client_message_id": client_message_id,
            "message_id": message_id,
            "expires_at": until,
        }
        if await self.insert_new(m.client_ids, values):
            return message_id
        query = select(m.client_ids.c.message_id).where(
            m.client_ids.c.room_id == room_id,
            m.client_ids.c.sender_id == sender_id,
            m.client_ids.c.client_message_id == client_message_id,
        )
        return str((await self._s.execute(query)).scalar_one())

    async def add(self, message: MessageRow) -> None:
        values = {name: getattr(message, name) for name in MessageRow.__dataclass_fields__}
        values["media_ids"] = json.dumps(message.media_ids) if message.media_ids else None
        await self._s.execute(m.messages.insert().values(**values))

    async def get(self, message_id: str) -> MessageRow | None:
        row = (
            await self._s.execute(select(*_COLUMNS).where(m.messages.c.id == message_id))
        ).first()
        return None if row is None else _row(row)

    async def page(
        self,
        room_id: str,
        now: datetime,
        *,
        after: int | None,
        before: int | None,
        limit: int,
    ) -> tuple[list[MessageRow], bool]:
        """Up to ``limit`` live messages, oldest first: the first ones after ``after`` (catch
        up), else the last ones before ``before`` (history, newest page first). Also whether
        there are more in that direction."""
        msg = m.messages
        query = select(*_COLUMNS).where(msg.c.room_id == room_id, msg.c.expires_at > now)
        if after is not None:
            query = query.where(msg.c.seq > after).order_by(msg.c.seq).limit(limit + 1)
        else:
            if before is not None:
                query = query.where(msg.c.seq < before)
            query = query.order_by(msg.c.seq.desc()).limit(limit + 1)
        rows = [_row(r) for r in await self._s.execute(query)]
        more = len(rows) > limit
        rows = rows[:limit]
        if after is None:
            rows.reverse()
        return rows, more

    async def delete_sent_by(self, sender_id: str) -> int:
        removed = await self.rowcount(delete(m.messages).where(m.messages.c.sender_id == sender_id))
        await self._s.execute(delete(m.client_ids).where(m.client_ids.c.sender_id == sender_id))
        return removed

    async def counts_by_room(self, sender_id: str) -> dict[str, int]:
        query = (
            select(m.messages.c.room_id, func.count())
            .where(m.messages.c.sender_id == sender_id)
            .group_by(m.messages.c.room_id)
        )
        return {room_id: int(n) for room_id, n in await self._s.execute(query)}

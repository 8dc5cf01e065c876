"""Every SQL statement of attachments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from disco.chat import models as m
from disco.platform.repository import Repository

__all__ = ["MediaRepository", "MediaRow"]


@dataclass(frozen=True, slots=True)
class MediaRow:
    id: str
    room_id: str
    uploader_id: str
    message_id: str | None
    size: int
    content_type: str
    created_at: datetime
    expires_at: datetime


class MediaRepository(Repository):
    async def add(self, media: MediaRow) -> None:
        values = {name: getattr(media, name) for name in MediaRow.__dataclass_fields__}
        await self._s.execute(m.media.insert().values(**values))

    async def get(self, media_id: str) -> MediaRow | None:
        row = (await self._s.execute(select(m.media).where(m.media.c.id == media_id))).first()
        return None if row is None else MediaRow(**row._mapping)

    async def attach(
        self,
        media_ids: list[str],
        room_id: str,
        uploader_id: str,
        message_id: str,
        expires_at: datetime,
    ) -> int:
        """Bind the uploader's unsent media of this room to a message; how many it bound."""
        return await self.rowcount(
            update(m.media)
            .where(
                m.media.c.id.in_(media_ids),
                m.media.c.room_id == room_id,
                m.media.c.uploader_id == uploader_id,
                m.media.c.message_id.is_(None),
            )
            .values(message_id=message_id, expires_at=expires_at)
        )

    async def expired(self, now: datetime, limit: int) -> list[str]:
        query = select(m.media.c.id).where(m.media.c.expires_at <= now).limit(limit)
        return list((await self._s.execute(query)).scalars())

    async def expire_uploaded_by(self, uploader_id: str, now: datetime) -> None:
        await self._s.execute(
            update(m.media).where(m.media.c.uploader_id == uploader_id).values(expires_at=now)
        )

    async def remove(self, media_ids: list[str]) -> None:
        await self._s.execute(delete(m.media).where(m.media.c.id.in_(media_ids)))

"""The rules of attachments: members of an open room upload (opaque, at most
``DISCO_CHAT_MAX_MEDIA_BYTES``, streamed), members who may read the room download, and every
attachment goes when its message expires (or an hour after upload if never sent)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from datetime import timedelta

from disco.chat.media.repository import MediaRepository, MediaRow
from disco.chat.media.schemas import Media
from disco.chat.messages.service import readable_member
from disco.chat.repository import ChatRepository
from disco.platform.blobs import BlobStore
from disco.platform.context import ServiceContext
from disco.platform.db import Database, new_id
from disco.platform.errors import Conflict, NotFound, ValidationFailed

__all__ = ["MediaService"]

NO_MEDIA = "No such attachment."


class MediaService:
    def __init__(self, ctx: ServiceContext, db: Database, blobs: BlobStore) -> None:
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._db = db
        self._blobs = blobs

    async def upload(
        self, user_id: str, room_id: str, content_type: str, chunks: AsyncIterable[bytes]
    ) -> Media:
        """The bytes go to the blob store first, outside any transaction (a slow upload holds
        no lock); the row that makes them reachable is written after, so a failed or refused
        upload leaves nothing a member could find (and its partial file is deleted)."""
        if not content_type or len(content_type) > 100:
            raise ValidationFailed(
                "Give the attachment a Content-Type of at most 100 characters.",
                details=[{"field": "content-type", "message": "missing or too long"}],
            )
        async with self._db.unit_of_work("chat.media_check") as uow:
            await self._open_room_member(ChatRepository(uow), room_id, user_id)
        media_id = new_id()
        size = await self._blobs.write(media_id, chunks, self._settings.chat_max_media_bytes)
        now = self._clock.now()
        row = MediaRow(
            id=media_id,
            room_id=room_id,
            uploader_id=user_id,
            message_id=None,
            size=size,
            content_type=content_type,
            created_at=now,
            expires_at=now + timedelta(seconds=self._settings.chat_unsent_media_ttl_seconds),
        )
        try:
            async with self._db.unit_of_work("chat.media_upload") as uow:
                await self._open_room_member(ChatRepository(uow), room_id, user_id)
                await MediaRepository(uow).add(row)
        except BaseException:
            await self._blobs.delete(media_id)
            raise
        return Media(id=media_id, size=size, content_type=content_type, expires_at=row.expires_at)

    async def download(
        self, user_id: str, room_id: str, media_id: str
    ) -> tuple[MediaRow, AsyncIterator[bytes]]:
        async with self._db.unit_of_work("chat.media_download") as uow:
            await readable_member(ChatRepository(uow), room_id, user_id)
            row = await MediaRepository(uow).get(media_id)
        if row is None or row.room_id != room_id or row.expires_at <= self._clock.now():
            raise NotFound(NO_MEDIA)
        if row.message_id is None and row.uploader_id != user_id:
            raise NotFound(NO_MEDIA)  # not sent yet: the peer cannot know of it
        try:
            return row, await self._blobs.open(media_id)
        except FileNotFoundError as exc:
            raise NotFound(NO_MEDIA) from exc

    @staticmethod
    async def _open_room_member(repo: ChatRepository, room_id: str, user_id: str) -> None:
        await readable_member(repo, room_id, user_id)
        room = await repo.room(room_id)
        if room is None or room.status != "open":
            raise Conflict("This chat is closed: the match ended.")

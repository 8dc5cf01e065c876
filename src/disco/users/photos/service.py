"""The rules of profile photos: uploads re-encoded, shown to others only if their owner
chose to, and files deleted only once the change that dropped them has committed."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork
from disco.platform.errors import NotFound, PayloadTooLarge, ValidationFailed
from disco.users.access import own_profile, visible_profile
from disco.users.photos.image import InvalidPhoto, reencode
from disco.users.photos.storage import PhotoStore
from disco.users.repository import UsersRepository
from disco.users.schemas import Visibility

__all__ = ["PhotosService"]

log = logging.getLogger(__name__)

NO_PHOTO = "There is no photo."


class PhotosService:
    def __init__(self, ctx: ServiceContext, store: PhotoStore) -> None:
        self._clock = ctx.clock
        self._store = store
        self.max_bytes = ctx.settings.max_photo_bytes
        self._deleting: set[asyncio.Task[None]] = set()

    async def set_photo(self, uow: UnitOfWork, user_id: str, upload: bytes) -> str:
        profile = await own_profile(uow, user_id)
        if len(upload) > self.max_bytes:
            raise PayloadTooLarge(f"A photo is at most {self.max_bytes} bytes.")
        try:
            clean = await asyncio.to_thread(reencode, upload)
        except InvalidPhoto as exc:
            raise ValidationFailed(str(exc)) from exc
        key = await self._store.put(clean)
        await UsersRepository(uow).update_profile(
            user_id, photo_key=key, updated_at=self._clock.now()
        )
        if profile.photo_key:
            self.delete_after_commit(uow, profile.photo_key)
        return f"/v1/users/{user_id}/photo"

    async def delete_photo(self, uow: UnitOfWork, user_id: str) -> None:
        profile = await own_profile(uow, user_id)
        if profile.photo_key is None:
            raise NotFound(NO_PHOTO)
        await UsersRepository(uow).update_profile(
            user_id, photo_key=None, updated_at=self._clock.now()
        )
        self.delete_after_commit(uow, profile.photo_key)

    async def photo(self, uow: UnitOfWork, viewer_id: str, user_id: str) -> bytes:
        if viewer_id == user_id:
            profile = await own_profile(uow, user_id)
        else:
            profile = await visible_profile(uow, viewer_id, user_id, self._clock.now())
            if not Visibility.model_validate(profile.visibility).nearby.photo:
                raise NotFound(NO_PHOTO)
        data = await self._store.get(profile.photo_key) if profile.photo_key else None
        if data is None:
            raise NotFound(NO_PHOTO)
        return data

    async def export(self, uow: UnitOfWork, user_id: str) -> dict[str, Any]:
        """The photo itself, for the user's data export."""
        profile = await own_profile(uow, user_id)
        data = await self._store.get(profile.photo_key) if profile.photo_key else None
        if data is None:
            return {"photo": None}
        return {"photo": {"contentType": "image/jpeg", "base64": base64.b64encode(data).decode()}}

    # --- after commit ---------------------------------------------------------------------------
    def delete_after_commit(self, uow: UnitOfWork, key: str) -> None:
        """Delete the file ``key`` once ``uow`` has committed (never on a rollback, which keeps
        the row that names it), off the request path. The service's one after-commit step:
        a file left behind by a crash is unreachable, never a photo shown after it was dropped."""

        async def delete() -> None:
            try:
                await self._store.delete(key)
            except Exception:
                log.exception("deleting photo file after %s failed", uow.name)

        async def start() -> None:
            task = asyncio.create_task(delete())
            self._deleting.add(task)
            task.add_done_callback(self._deleting.discard)

        uow.after_commit(start)

    async def drain(self) -> None:
        """Wait for file deletions still under way (at shut-down)."""
        await asyncio.gather(*self._deleting, return_exceptions=True)

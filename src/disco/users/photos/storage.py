"""Where photos live: a small port, and its adapter on the local file system."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from pathlib import Path
from typing import Protocol

__all__ = ["LocalPhotoStore", "PhotoStore"]

# Keys are made here, random, so a file name never says whose photo it is.
_KEY = re.compile(r"^[0-9a-f]{32}\.jpg$")


class PhotoStore(Protocol):
    async def put(self, data: bytes) -> str:
        """Store a re-encoded JPEG; returns its key."""

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...


class LocalPhotoStore:
    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"not a photo key: {key!r}")
        return self._folder / key

    async def put(self, data: bytes) -> str:
        key = f"{uuid.uuid4().hex}.jpg"
        path = self._path(key)

        def write() -> None:
            self._folder.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".part")
            temporary.write_bytes(data)
            temporary.replace(path)  # readers never see half a photo

        await asyncio.to_thread(write)
        return key

    async def get(self, key: str) -> bytes | None:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self._path(key).unlink)

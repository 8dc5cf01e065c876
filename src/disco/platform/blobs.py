"""Where opaque bytes live (chat attachments): a small port, and its adapter on the local file
system. Bytes are streamed in and out in chunks, never held whole in memory.

One folder per store, files named by a key the caller made (random ids), written to a temporary
name first so a reader never sees half a blob. Several processes on one machine (``disco
cluster``) share the folder; a deployment across machines needs a shared volume or an
object-store adapter behind the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import Protocol

from disco.platform.errors import PayloadTooLarge

__all__ = ["BlobStore", "LocalBlobStore"]

_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
CHUNK_BYTES = 64 * 1024


class BlobStore(Protocol):
    async def write(self, key: str, chunks: AsyncIterable[bytes], max_bytes: int) -> int:
        """Store the stream under ``key``; its size. PayloadTooLarge (nothing kept) past
        ``max_bytes``."""

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The blob's bytes, chunk by chunk; FileNotFoundError (at once) if there is none."""

    async def delete(self, key: str) -> None: ...


class LocalBlobStore:
    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"not a blob key: {key!r}")
        return self._folder / key

    async def write(self, key: str, chunks: AsyncIterable[bytes], max_bytes: int) -> int:
        path = self._path(key)
        temporary = path.with_suffix(".part")
        await asyncio.to_thread(self._folder.mkdir, parents=True, exist_ok=True)
        handle = await asyncio.to_thread(temporary.open, "wb")
        size = 0
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"The upload is over {max_bytes} bytes.")
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(handle.close)
            await asyncio.to_thread(temporary.replace, path)
        except BaseException:
            await asyncio.to_thread(handle.close)
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(temporary.unlink)
            raise
        return size

    async def open(self, key: str) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self._path(key).open, "rb")

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
                    yield chunk
            finally:
                await asyncio.to_thread(handle.close)

        return chunks()

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self._path(key).unlink)

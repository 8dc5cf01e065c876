"""Thin endpoints of attachments: streamed in, streamed out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import StreamingResponse

from disco.chat.media.schemas import Media
from disco.chat.media.service import MediaService
from disco.platform.api import CurrentPrincipal, from_state

router = APIRouter(prefix="/v1/chats/rooms/{room_id}/media", tags=["chat"])

Service = Annotated[MediaService, Depends(from_state("media"))]


@router.post("", status_code=status.HTTP_201_CREATED)
async def upload(
    room_id: str, request: Request, principal: CurrentPrincipal, media: Service
) -> Media:
    """The raw (encrypted) bytes as the body; name the returned id in a message to send it."""
    content_type = request.headers.get("content-type", "application/octet-stream")
    return await media.upload(principal.user_id, room_id, content_type, request.stream())


@router.get("/{media_id}")
async def download(
    room_id: str, media_id: str, principal: CurrentPrincipal, media: Service
) -> StreamingResponse:
    row, chunks = await media.download(principal.user_id, room_id, media_id)
    return StreamingResponse(
        chunks,
        media_type=row.content_type,
        headers={
            "Content-Length": str(row.size),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "attachment",
        },
    )

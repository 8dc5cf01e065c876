"""Thin endpoints of messages, receipts and typing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from disco.chat.messages.service import MessagesService
from disco.chat.schemas import MessageIn, MessagePage, Sent, SeqIn, TypingIn
from disco.platform.api import CurrentPrincipal, Uow, from_state

router = APIRouter(prefix="/v1/chats/rooms/{room_id}", tags=["chat"])

Service = Annotated[MessagesService, Depends(from_state("messages"))]
NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.post("/messages", status_code=status.HTTP_201_CREATED)
async def send(
    room_id: str, body: MessageIn, principal: CurrentPrincipal, messages: Service, uow: Uow
) -> Sent:
    """A message (its ciphertext, opaque here). The same ``clientMessageId`` again returns the
    same message; a 201 means it is stored and will reach every socket of both of you."""
    sent = await messages.send(uow, principal.user_id, room_id, body)
    return Sent(**sent.model_dump())


@router.get("/messages")
async def page(
    room_id: str,
    principal: CurrentPrincipal,
    messages: Service,
    uow: Uow,
    after: Annotated[
        int | None, Query(ge=0, description="catch up: messages after this seq")
    ] = None,
    before: Annotated[
        int | None, Query(ge=1, description="history: messages before this seq")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MessagePage:
    return await messages.page(
        uow, principal.user_id, room_id, after=after, before=before, limit=limit
    )


@router.post("/read", status_code=NO_CONTENT)
async def read(
    room_id: str, body: SeqIn, principal: CurrentPrincipal, messages: Service, uow: Uow
) -> Response:
    await messages.mark(uow, principal.user_id, room_id, "read", body.seq)
    return Response(status_code=NO_CONTENT)


@router.post("/delivered", status_code=NO_CONTENT)
async def delivered(
    room_id: str, body: SeqIn, principal: CurrentPrincipal, messages: Service, uow: Uow
) -> Response:
    await messages.mark(uow, principal.user_id, room_id, "delivered", body.seq)
    return Response(status_code=NO_CONTENT)


@router.post("/typing", status_code=NO_CONTENT)
async def typing(
    room_id: str, body: TypingIn, principal: CurrentPrincipal, messages: Service, uow: Uow
) -> Response:
    await messages.typing(uow, principal.user_id, room_id, body.typing)
    return Response(status_code=NO_CONTENT)

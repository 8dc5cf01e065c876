"""Thin endpoints of rooms and chat privacy settings; messages and media have their own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from disco.chat.schemas import PrivacySettings, PrivacySettingsIn, Room, Rooms, TimerIn
from disco.chat.service import ChatService
from disco.platform.api import CurrentPrincipal, Uow, from_state

router = APIRouter(prefix="/v1/chats", tags=["chat"])
# Other services only: mounted under /internal behind the service-credential check.
internal = APIRouter(prefix="/chat", include_in_schema=False)

Service = Annotated[ChatService, Depends(from_state("chat"))]


@router.get("/rooms")
async def rooms(principal: CurrentPrincipal, chat: Service, uow: Uow) -> Rooms:
    """Your chats, most recent first: one per match, open or closed."""
    return await chat.rooms(uow, principal.user_id)


@router.get("/rooms/{room_id}")
async def room(room_id: str, principal: CurrentPrincipal, chat: Service, uow: Uow) -> Room:
    return await chat.room(uow, principal.user_id, room_id)


@router.put("/rooms/{room_id}/timer")
async def set_timer(
    room_id: str, body: TimerIn, principal: CurrentPrincipal, chat: Service, uow: Uow
) -> Room:
    """A disappearing-message timer shorter than the default, for messages sent from now on."""
    return await chat.set_timer(uow, principal.user_id, room_id, body.seconds)


@router.get("/settings")
async def privacy(principal: CurrentPrincipal, chat: Service, uow: Uow) -> PrivacySettings:
    return await chat.privacy(uow, principal.user_id)


@router.patch("/settings")
async def put_privacy(
    body: PrivacySettingsIn, principal: CurrentPrincipal, chat: Service, uow: Uow
) -> PrivacySettings:
    """Read receipts, typing and presence: each is reciprocal (off, you neither show nor see)."""
    return await chat.put_privacy(uow, principal.user_id, body)


@internal.get("/users/{user_id}/export")
async def export(user_id: str, chat: Service, uow: Uow) -> dict[str, Any]:
    """Chat's share of the user's data export (the users service assembles the whole)."""
    return await chat.export(uow, user_id)

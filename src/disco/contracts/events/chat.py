"""Events the chat service publishes. Never a message's content: ids, numbers and times."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from disco.contracts.events.base import Event

__all__ = ["MessageSent", "RoomClosed", "RoomOpened"]

ClosedReason = Literal["unmatched", "blocked", "deleted"]


class RoomOpened(Event):
    event_type = "chat.room.opened"

    room_id: str
    match_id: str
    user_ids: list[str] = Field(min_length=2, max_length=2)


class RoomClosed(Event):
    event_type = "chat.room.closed"

    room_id: str
    match_id: str
    user_ids: list[str] = Field(min_length=2, max_length=2)
    reason: ClosedReason


class MessageSent(Event):
    event_type = "chat.message.sent"

    room_id: str
    message_id: str
    seq: int
    sender_id: str
    recipient_id: str
    sent_at: datetime
    expires_at: datetime

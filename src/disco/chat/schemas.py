"""The chat API's wire models (camelCase). A message body is the client's base64 ciphertext."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator

from disco.platform.encoding import base64_of, decoded_size
from disco.platform.wire import ApiModel, RequestModel

__all__ = [
    "Message",
    "MessageIn",
    "MessagePage",
    "Peer",
    "PrivacySettings",
    "PrivacySettingsIn",
    "Room",
    "Rooms",
    "Sent",
    "SeqIn",
    "TimerIn",
    "TypingIn",
]

_ID = r"^[A-Za-z0-9_-]{1,64}$"


class MessageIn(RequestModel):
    ciphertext: str = Field(min_length=4, description="base64 of the client's opaque envelope")
    client_message_id: str | None = Field(None, pattern=_ID)
    sender_device_id: str | None = Field(None, pattern=_ID)
    # HMAC-SHA256(franking key, plaintext), base64: see platform/franking.py.
    franking_tag: Annotated[str, base64_of(32)] | None = None
    media_ids: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("ciphertext")
    @classmethod
    def _base64(cls, value: str) -> str:
        decoded_size(value)
        return value

    @field_validator("media_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value) or not all(0 < len(v) <= 36 for v in value):
            raise ValueError("media ids must be distinct ids")
        return value


class Message(ApiModel):
    id: str
    room_id: str
    seq: int
    sender_id: str
    sender_device_id: str | None
    client_message_id: str | None
    ciphertext: str
    franking_tag: str | None
    server_tag: str | None  # the server's binding of the franking tag (what a report opens)
    media_ids: list[str]
    sent_at: datetime
    expires_at: datetime


class Sent(Message):
    """The answer to a send: the message as stored (the same one again for a repeated
    ``clientMessageId``)."""


class MessagePage(ApiModel):
    messages: list[Message]
    has_more: bool


class SeqIn(RequestModel):
    seq: int = Field(ge=1)


class TypingIn(RequestModel):
    typing: bool = True


class TimerIn(RequestModel):
    """A shorter disappearing-message timer for the room (null: the default)."""

    seconds: int | None = Field(ge=60)


class Peer(ApiModel):
    user_id: str
    name: str
    online: bool | None = None  # null: one of you does not share presence
    last_seen: datetime | None = None


class Room(ApiModel):
    id: str
    match_id: str
    peer: Peer
    status: Literal["open", "closed"]
    closed_reason: str | None
    last_seq: int
    last_message_at: datetime | None
    unread: int
    delivered_seq: int  # how far you have received
    read_seq: int  # and read
    peer_delivered_seq: int
    peer_read_seq: int | None  # null: one of you does not share read receipts
    timer_seconds: int
    created_at: datetime


class Rooms(ApiModel):
    rooms: list[Room]


class PrivacySettings(ApiModel):
    read_receipts: bool
    typing: bool
    presence: bool


class PrivacySettingsIn(RequestModel):
    read_receipts: bool | None = None
    typing: bool | None = None
    presence: bool | None = None

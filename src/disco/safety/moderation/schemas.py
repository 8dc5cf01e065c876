"""Request and response bodies of reports and moderation (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, model_validator

from disco.contracts.events.safety import ModerationAction
from disco.platform.encoding import Base64, base64_of
from disco.platform.franking import FRANKING_KEY_BYTES, TAG_BYTES
from disco.platform.wire import ApiModel, RequestModel
from disco.safety.ratings.schemas import TrustScore
from disco.safety.schemas import ID_PATTERN, PLAIN_TEXT_PATTERN

__all__ = [
    "ActionIn",
    "ModerationActionOut",
    "ModerationReport",
    "ModerationReports",
    "Report",
    "ReportIn",
    "ReportedMessage",
    "Reports",
]

ReportReason = Literal[
    "harassment", "spam", "fake_profile", "inappropriate", "threat", "underage", "other"
]


class ReportedMessage(RequestModel):
    """A chat message the reporter decrypted on their device and chose to submit.

    With its franking opening (``roomId``, ``frankingTag``, ``serverTag``, ``frankingKey`` and
    the exact ``plaintext`` committed to, base64; see ``platform/franking.py``) the report proves
    what the sender sent, and moderators see it verified; an opening that does not verify is
    refused. Without one, ``text`` is the reporter's word.
    """

    id: str | None = Field(None, max_length=64)
    sender_id: str | None = Field(None, max_length=36)
    sent_at: AwareDatetime | None = None
    text: str = Field(min_length=1, max_length=4000)
    room_id: str | None = Field(None, max_length=36)
    franking_tag: Annotated[str, Field(max_length=44), base64_of(TAG_BYTES)] | None = None
    server_tag: Annotated[str, Field(max_length=44), base64_of(TAG_BYTES)] | None = None
    franking_key: Annotated[str, Field(max_length=44), base64_of(FRANKING_KEY_BYTES)] | None = None
    plaintext: Annotated[Base64, Field(max_length=90_000)] | None = None

    @model_validator(mode="after")
    def _whole_opening(self) -> ReportedMessage:
        opening = (self.room_id, self.franking_tag, self.server_tag, self.franking_key)
        if any(v is not None for v in (*opening, self.plaintext)) and (
            None in opening or self.plaintext is None or self.id is None or self.sent_at is None
        ):
            raise ValueError(
                "a franking opening needs id, sentAt, roomId, frankingTag, serverTag,"
                " frankingKey and plaintext"
            )
        return self

    @property
    def has_opening(self) -> bool:
        return self.franking_tag is not None


class ReportIn(RequestModel):
    user_id: str = Field(pattern=ID_PATTERN)
    reason: ReportReason
    details: str | None = Field(None, max_length=2000)
    message_ids: list[str] = Field(default_factory=list, max_length=100)
    messages: list[ReportedMessage] = Field(default_factory=list, max_length=100)


class Report(ApiModel):
    """What the reporter sees of their report."""

    id: str
    user_id: str
    reason: str
    status: Literal["OPEN", "ACTIONED"]
    created_at: datetime
    updated_at: datetime


class Reports(ApiModel):
    reports: list[Report]


class ModerationActionOut(ApiModel):
    id: str
    action: ModerationAction
    note: str | None
    until: datetime | None
    created_at: datetime


class ModerationReport(Report):
    reporter_id: str
    details: str | None
    message_ids: list[str]
    messages: list[dict[str, object]]
    actions: list[ModerationActionOut]
    reported_trust: TrustScore


class ModerationReports(ApiModel):
    reports: list[ModerationReport]


class ActionIn(RequestModel):
    action: ModerationAction
    note: str | None = Field(None, max_length=2000, pattern=PLAIN_TEXT_PATTERN)
    until: AwareDatetime | None = None

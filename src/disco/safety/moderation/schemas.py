"""Request and response bodies of reports and moderation (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from disco.contracts.events.safety import ModerationAction
from disco.platform.api import ApiModel, RequestModel
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
    """A chat message the reporter decrypted on their device and chose to submit."""

    id: str | None = Field(None, max_length=64)
    sender_id: str | None = Field(None, max_length=36)
    sent_at: AwareDatetime | None = None
    text: str = Field(min_length=1, max_length=4000)


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

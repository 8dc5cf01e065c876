"""Request and response bodies of check-ins (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from disco.platform.wire import ApiModel, RequestModel
from disco.safety.schemas import ID_PATTERN, LocationIn

__all__ = ["Checkin", "CheckinIn", "Checkins", "HeartbeatIn"]


class CheckinIn(RequestModel):
    due_at: AwareDatetime
    match_id: str | None = Field(None, pattern=ID_PATTERN)
    place: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=500)
    location: LocationIn | None = None


class HeartbeatIn(RequestModel):
    location: LocationIn | None = None


class Checkin(ApiModel):
    id: str
    status: Literal["ACTIVE", "CONFIRMED", "CANCELLED", "ESCALATED"]
    due_at: datetime
    match_id: str | None
    place: str | None
    note: str | None
    created_at: datetime
    last_heartbeat_at: datetime | None
    confirmed_at: datetime | None
    escalated_at: datetime | None
    escalation_reason: Literal["MISSED", "SILENT"] | None


class Checkins(ApiModel):
    checkins: list[Checkin]

"""Request and response bodies of the safety API (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from disco.contracts.events.safety import ModerationAction
from disco.platform.api import ApiModel, RequestModel

__all__ = [
    "ID_PATTERN",
    "ActionIn",
    "Alert",
    "AlertIn",
    "Alerts",
    "CancelIn",
    "Checkin",
    "CheckinIn",
    "Checkins",
    "DeviceIn",
    "HeartbeatIn",
    "LiveView",
    "Location",
    "LocationIn",
    "MeetingSpots",
    "ModerationReport",
    "ModerationReports",
    "PinIn",
    "Rating",
    "RatingIn",
    "Report",
    "ReportIn",
    "ReportedMessage",
    "Reports",
    "ResolveIn",
    "SafetyContact",
    "SafetyContacts",
    "Spot",
    "TrailPoint",
    "TrustScore",
]

AlertType = Literal["EMERGENCY", "MEDICAL", "HARASSMENT", "UNSAFE_MEETUP"]
ReportReason = Literal[
    "harassment", "spam", "fake_profile", "inappropriate", "threat", "underage", "other"
]
PIN_PATTERN = r"^[0-9]{4,12}$"  # 4 to 12 digits
# Ids (UUIDs and the like) and text stored in clear: no control characters (PostgreSQL refuses
# a NUL in text, which would otherwise surface as a 500).
ID_PATTERN = r"^[A-Za-z0-9_-]{1,36}$"
PLAIN_TEXT_PATTERN = r"^[^\x00]*$"


class LocationIn(RequestModel):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    accuracy_meters: float | None = Field(None, ge=0, le=100_000)


class Location(ApiModel):
    latitude: float
    longitude: float
    accuracy_meters: float | None = None


class SafetyContact(ApiModel):
    id: str
    name: str
    email: str
    phone: str | None


class SafetyContacts(ApiModel):
    """Who the caller's alerts and check-in escalations go to, as safety knows them now."""

    contacts: list[SafetyContact]


class DeviceIn(RequestModel):
    push_token: str = Field(min_length=1, max_length=4096)


# --- alerts ------------------------------------------------------------------------------------
class AlertIn(RequestModel):
    type: AlertType = "EMERGENCY"
    location: LocationIn
    message: str | None = Field(None, max_length=500)


class Alert(ApiModel):
    id: str
    type: str
    status: Literal["ACTIVE", "RESOLVED", "CANCELLED"]
    created_at: datetime
    ended_at: datetime | None = None
    location: Location | None = None
    message: str | None = None
    # Only in the answer that raised it: the link is stored hashed and cannot be shown again.
    live_url: str | None = None
    # Moderators' view only: whose alert, and whether it was cancelled under duress.
    user_id: str | None = None
    duress: bool | None = None


class Alerts(ApiModel):
    alerts: list[Alert]


class CancelIn(RequestModel):
    pin: str = Field(pattern=PIN_PATTERN)


class ResolveIn(RequestModel):
    pin: str | None = Field(None, pattern=PIN_PATTERN)


class PinIn(RequestModel):
    pin: str = Field(pattern=PIN_PATTERN)
    duress_pin: str | None = Field(None, pattern=PIN_PATTERN)
    current_pin: str | None = Field(None, pattern=PIN_PATTERN)  # needed once one is set


class TrailPoint(ApiModel):
    latitude: float
    longitude: float
    accuracy_meters: float | None = None
    recorded_at: datetime


class LiveView(ApiModel):
    """What an emergency contact sees through the live link."""

    id: str
    type: str
    status: Literal["ACTIVE", "RESOLVED", "CANCELLED"]
    duress: bool
    created_at: datetime
    ended_at: datetime | None
    message: str | None
    location: TrailPoint | None
    trail: list[TrailPoint]


# --- check-ins ---------------------------------------------------------------------------------
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


# --- reports and moderation --------------------------------------------------------------------
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


# --- ratings and trust -------------------------------------------------------------------------
class RatingIn(RequestModel):
    match_id: str = Field(pattern=ID_PATTERN)
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=1000, pattern=PLAIN_TEXT_PATTERN)


class Rating(ApiModel):
    match_id: str
    score: int
    comment: str | None
    created_at: datetime


class TrustScore(ApiModel):
    user_id: str
    score: float
    ratings: int
    reports: int


# --- meeting spots -----------------------------------------------------------------------------
class Spot(ApiModel):
    id: str
    name: str
    category: str
    latitude: float
    longitude: float


class MeetingSpots(ApiModel):
    # "both": around the midpoint of both people's cells; "you": the other has not shared theirs
    # yet, so around the caller's own cell.
    basis: Literal["both", "you"]
    spots: list[Spot]


ModerationReport.model_rebuild()

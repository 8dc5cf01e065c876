"""Request and response bodies of alerts, their live view and the PINs (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from disco.platform.wire import ApiModel, RequestModel
from disco.safety.schemas import Location, LocationIn

__all__ = [
    "Alert",
    "AlertIn",
    "Alerts",
    "CancelIn",
    "LiveView",
    "PinIn",
    "PinState",
    "ResolveIn",
    "TrailPoint",
]

AlertType = Literal["EMERGENCY", "MEDICAL", "HARASSMENT", "UNSAFE_MEETUP"]
PIN_PATTERN = r"^[0-9]{4,12}$"  # 4 to 12 digits


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


class PinState(ApiModel):
    """Whether a PIN is set (never whether a duress PIN is: whoever holds the phone may ask)."""

    set: bool


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
    name: str
    type: str
    status: Literal["ACTIVE", "RESOLVED", "CANCELLED"]
    duress: bool
    created_at: datetime
    ended_at: datetime | None
    message: str | None
    location: TrailPoint | None
    trail: list[TrailPoint]

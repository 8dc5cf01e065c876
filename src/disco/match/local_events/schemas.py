"""Requests and responses of local events."""

from __future__ import annotations

from datetime import UTC, timedelta

from pydantic import AwareDatetime, Field, model_validator

from disco.platform.wire import ApiModel, RequestModel

__all__ = [
    "MAX_AHEAD",
    "MAX_DURATION",
    "MAX_RADIUS_METERS",
    "LocalEvent",
    "LocalEventIn",
    "LocalEvents",
]

MAX_RADIUS_METERS = 1609  # a mile: the widest discovery radius
# A gathering, not a standing pin on the map.
MAX_DURATION = timedelta(days=7)
MAX_AHEAD = timedelta(days=365)  # planned at most a year ahead


class LocalEventIn(RequestModel):
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    place: str | None = Field(default=None, min_length=1, max_length=200)
    capacity: int | None = Field(default=None, ge=1, le=10_000)  # the host included

    @model_validator(mode="after")
    def _a_sensible_time(self) -> LocalEventIn:
        try:
            # In UTC from here on; a time at the edge of the calendar has no UTC equivalent.
            self.starts_at = self.starts_at.astimezone(UTC)
            self.ends_at = self.ends_at.astimezone(UTC)
        except OverflowError:
            raise ValueError("startsAt and endsAt must be real dates") from None
        if self.ends_at <= self.starts_at:
            raise ValueError("endsAt must be after startsAt")
        if self.ends_at - self.starts_at > MAX_DURATION:
            raise ValueError(f"an event lasts at most {MAX_DURATION.days} days")
        return self


class LocalEvent(ApiModel):
    """A public event: its place is the host's choice, shown to all."""

    id: str
    title: str
    description: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    latitude: float
    longitude: float
    place: str | None
    capacity: int | None
    attendees: int  # the host included
    joined: bool
    hosting: bool
    distance_meters: int | None = None  # from the point asked about (nearby only)


class LocalEvents(ApiModel):
    events: list[LocalEvent]

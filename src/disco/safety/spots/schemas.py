"""Response bodies of meeting spots (camelCase on the wire)."""

from __future__ import annotations

from typing import Literal

from disco.platform.wire import ApiModel

__all__ = ["MeetingSpots", "Spot"]


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

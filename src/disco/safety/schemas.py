"""What the safety API's areas share on the wire: the shapes of ids and text, and positions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

from disco.platform.wire import ApiModel, RequestModel

__all__ = ["ID_PATTERN", "PLAIN_TEXT_PATTERN", "Location", "LocationIn", "ResourceId"]

# Ids (UUIDs and the like) and text stored in clear: no control characters (PostgreSQL refuses
# a NUL in text, which would otherwise surface as a 500).
ID_PATTERN = r"^[A-Za-z0-9_-]{1,36}$"
PLAIN_TEXT_PATTERN = r"^[^\x00]*$"
# Path ids: anything else cannot name a row (and a NUL would upset PostgreSQL).
ResourceId = Annotated[str, Path(pattern=ID_PATTERN)]


class LocationIn(RequestModel):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    accuracy_meters: float | None = Field(None, ge=0, le=100_000)


class Location(ApiModel):
    latitude: float
    longitude: float
    accuracy_meters: float | None = None

"""Request and response models of privacy zones and blocks (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from disco.platform.wire import ApiModel, RequestModel
from disco.users.privacy.repository import BlockRow, ZoneRow


def _with_time_zone(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("Give a time zone (e.g. 2030-01-01T18:00:00Z).")
    return value


# A naive time would be read in the server's zone, not the user's: refused.
AwareTime = Annotated[datetime | None, AfterValidator(_with_time_zone)]


# --- privacy zones ------------------------------------------------------------------------------
class ZoneIn(RequestModel):
    name: str = Field(min_length=1, max_length=60)
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    radius_meters: int = Field(ge=100, le=1000)
    expires_at: AwareTime = None


class Zone(ApiModel):
    id: str
    name: str
    latitude: float
    longitude: float
    radius_meters: int
    expires_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: ZoneRow, place: dict[str, Any]) -> Zone:
        return cls(
            id=row.id,
            name=place["name"],
            latitude=place["latitude"],
            longitude=place["longitude"],
            radius_meters=row.radius_meters,
            expires_at=row.expires_at,
            created_at=row.created_at,
        )


class Zones(ApiModel):
    zones: list[Zone]


# --- blocks -------------------------------------------------------------------------------------
class BlockIn(RequestModel):
    user_id: str = Field(min_length=1, max_length=36)
    until: AwareTime = None


class Block(ApiModel):
    user_id: str
    # Whom the blocker blocked, so their list can say so; null once that account is gone.
    first_name: str | None = None
    until: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: BlockRow, first_name: str | None = None) -> Block:
        return cls(
            user_id=row.blocked_id,
            first_name=first_name,
            until=row.until,
            created_at=row.created_at,
        )


class Blocks(ApiModel):
    blocks: list[Block]

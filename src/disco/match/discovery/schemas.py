"""Request and response models of the discovery API (camelCase on the wire).

No response carries a coordinate or a distance: only a bucket label ("within 500 ft").
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from disco.match.engine.geo import MAX_ABS_LATITUDE
from disco.platform.wire import ApiModel, RequestModel

__all__ = [
    "DiscoveryIn",
    "DiscoveryState",
    "LocationAck",
    "LocationIn",
    "NearbyList",
    "NearbyPerson",
]


class DiscoveryIn(RequestModel):
    enabled: bool = Field(strict=True)
    # When discovery switches itself off; only with ``enabled``, in the next 24 hours.
    until: AwareDatetime | None = None


class DiscoveryState(ApiModel):
    enabled: bool
    until: datetime | None


class LocationIn(RequestModel):
    # Strict, finite numbers: a quoted "52.5" or a NaN is a client bug to report, not a guess.
    # Discovery stops short of the poles: Redis GEO (and the planar engine) cannot index them.
    latitude: float = Field(
        ge=-MAX_ABS_LATITUDE, le=MAX_ABS_LATITUDE, strict=True, allow_inf_nan=False
    )
    longitude: float = Field(ge=-180, le=180, strict=True, allow_inf_nan=False)
    # Metres, as the device reports it (a 68% radius); fixes vaguer than the service's limit
    # are acknowledged but not used.
    accuracy: float | None = Field(None, gt=0, le=100_000, strict=True, allow_inf_nan=False)
    # When the device took the fix (with a time zone); defaults to when it arrives.
    timestamp: AwareDatetime | None = None


class LocationAck(ApiModel):
    """``accepted`` is false, with a ``reason``, for a fix that was received but not used:
    ``inaccurate``, ``stale``, ``implausible`` (faster than any vehicle from the last one),
    ``privacy_zone`` / ``outside_time_window`` (not discoverable there or then) or
    ``profile_pending`` (the profile has not reached matching yet)."""

    accepted: bool
    reason: str | None = None


class NearbyPerson(ApiModel):
    user_id: str
    name: str
    shared_interests: list[str]
    distance: str  # a bucket label


class NearbyList(ApiModel):
    nearby: list[NearbyPerson]

"""A secret, stable offset per person and day: where a position is shown moved to, so that
what others can learn of it (a cell, a midpoint) is not where the person is.

Keyed by a server secret, the person and the UTC day, the offset is the same for every query
of a day (averaging many answers gains nothing) and changes at midnight."""

from __future__ import annotations

import hashlib
import hmac
import math
import struct

__all__ = ["secret_offset_m", "utc_day"]


def utc_day(at: float) -> int:
    """The UTC day of ``at`` (epoch seconds)."""
    return math.floor(at / 86_400)


def secret_offset_m(
    secret: bytes, user_id: str, day: int, low_m: float, high_m: float
) -> tuple[float, float]:
    """(north, east) metres: a direction and a distance in [low_m, high_m), both uniform."""
    digest = hmac.new(secret, f"{user_id}:{day}".encode(), hashlib.sha256).digest()
    u, v = struct.unpack(">QQ", digest[:16])
    angle = 2 * math.pi * (u / 2**64)
    distance = low_m + (high_m - low_m) * (v / 2**64)
    return distance * math.cos(angle), distance * math.sin(angle)

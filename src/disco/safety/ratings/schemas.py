"""Request and response bodies of ratings and trust scores (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from disco.platform.wire import ApiModel, RequestModel
from disco.safety.schemas import ID_PATTERN, PLAIN_TEXT_PATTERN

__all__ = ["Rating", "RatingIn", "TrustScore"]


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

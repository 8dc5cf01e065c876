"""The users service's answers to other services."""

from __future__ import annotations

from disco.contracts.events.users import Mode
from disco.platform.wire import ApiModel

__all__ = ["PublicProfile"]


class PublicProfile(ApiModel):
    """Another user as the caller may see them: only what that user chose to show. Also the
    public ``GET /v1/users/{id}``; match reads it from ``GET /internal/users/{id}/view``."""

    id: str
    first_name: str
    mode: Mode
    shared_interests: list[str]
    last_name: str | None = None
    bio: str | None = None
    interests: list[str] | None = None
    activities: list[str] | None = None
    photo_url: str | None = None

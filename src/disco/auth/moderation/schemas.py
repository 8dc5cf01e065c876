"""Request models of the internal moderation and role endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from disco.platform.wire import RequestModel

__all__ = ["DisableRequest", "Role", "RoleChange"]


class DisableRequest(RequestModel):
    reason: str = Field(min_length=1, max_length=200)


# Roles the platform knows; a token carries them, services decide what each allows.
Role = Literal["moderator"]


class RoleChange(RequestModel):
    email: str = Field(min_length=3, max_length=320)
    role: Role
    granted: bool = True

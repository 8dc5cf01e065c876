"""Thin internal endpoints: disabling an account and changing roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from disco.auth.moderation.schemas import DisableRequest, RoleChange
from disco.auth.moderation.service import ModerationService
from disco.platform.api import Uow, from_state

__all__ = ["internal"]

# Other services and operators only: mounted under /internal behind the service-credential check.
internal = APIRouter(prefix="/auth", include_in_schema=False)

Service = Annotated[ModerationService, Depends(from_state("moderation"))]


@internal.post("/users/{user_id}/disable", status_code=status.HTTP_204_NO_CONTENT)
async def disable_user(
    user_id: str, body: DisableRequest, moderation: Service, uow: Uow
) -> Response:
    """For moderation (a ban) and account deletion: ends the user's sessions and tokens."""
    await moderation.disable_user(uow, user_id, body.reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@internal.post("/roles", status_code=status.HTTP_204_NO_CONTENT)
async def change_role(body: RoleChange, moderation: Service, uow: Uow) -> Response:
    """For operators (``disco roles``): grant or take back a role such as moderator."""
    await moderation.change_role(uow, body.email, body.role, body.granted)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

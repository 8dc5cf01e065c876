"""Moderators' window on notification dispatch. Anyone else is told it does not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from disco.platform.api import CurrentPrincipal, Uow, from_state
from disco.platform.errors import NotFound
from disco.platform.security import Principal
from disco.safety.notify.schemas import NotificationList, NotificationView
from disco.safety.notify.service import NotificationDispatch

router = APIRouter(prefix="/v1/safety/notifications", tags=["safety"])


async def _moderator(principal: CurrentPrincipal) -> Principal:
    # 404 rather than 403, as for anything hidden: an ordinary user learns nothing from it.
    if not principal.is_moderator:
        raise NotFound()
    return principal


Dispatch = Annotated[NotificationDispatch, Depends(from_state("notifications"))]
Moderator = Annotated[Principal, Depends(_moderator)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0)]
UserId = Annotated[str | None, Query(alias="userId", min_length=1, max_length=36)]
AlertId = Annotated[str | None, Query(alias="alertId", min_length=1, max_length=36)]


@router.get("")
async def notifications(
    _: Moderator,
    dispatch: Dispatch,
    uow: Uow,
    user_id: UserId = None,
    alert_id: AlertId = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> NotificationList:
    """Notifications and their audit trails, newest first, by the user or alert they concern."""
    return await dispatch.queue.find(
        uow, user_id=user_id, alert_id=alert_id, dead_only=False, limit=limit, offset=offset
    )


@router.get("/dead")
async def dead_letters(
    _: Moderator, dispatch: Dispatch, uow: Uow, limit: Limit = 50, offset: Offset = 0
) -> NotificationList:
    """Dead-lettered notifications not delivered since (emergency ones still retrying too)."""
    return await dispatch.queue.find(
        uow, user_id=None, alert_id=None, dead_only=True, limit=limit, offset=offset
    )


@router.post("/{notification_id}/requeue")
async def requeue(
    notification_id: str, _: Moderator, dispatch: Dispatch, uow: Uow
) -> NotificationView:
    """Back in line with a fresh set of attempts (after the provider or address was fixed)."""
    return await dispatch.queue.requeue(uow, notification_id)

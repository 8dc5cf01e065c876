"""Thin endpoints of check-ins (the scheduler does the rest)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, status

from disco.platform.api import CurrentPrincipal, Uow, from_state
from disco.safety.checkins.schemas import Checkin, CheckinIn, Checkins, HeartbeatIn
from disco.safety.checkins.service import CheckinsService
from disco.safety.replays import IdempotencyKey
from disco.safety.schemas import ResourceId

router = APIRouter(prefix="/v1/safety", tags=["safety"])

Service = Annotated[CheckinsService, Depends(from_state("checkins"))]


@router.post("/checkins", status_code=status.HTTP_201_CREATED)
async def schedule_checkin(
    body: CheckinIn,
    principal: CurrentPrincipal,
    checkins: Service,
    uow: Uow,
    idempotency_key: IdempotencyKey = None,
) -> Checkin:
    return await checkins.schedule(uow, principal.user_id, body, idempotency_key)


@router.get("/checkins")
async def checkins(principal: CurrentPrincipal, service: Service, uow: Uow) -> Checkins:
    return Checkins(checkins=await service.checkins(uow, principal.user_id))


@router.post("/checkins/{checkin_id}/confirm")
async def confirm_checkin(
    checkin_id: ResourceId, principal: CurrentPrincipal, checkins: Service, uow: Uow
) -> Checkin:
    return await checkins.confirm(uow, principal.user_id, checkin_id)


@router.post("/checkins/{checkin_id}/heartbeat")
async def heartbeat(
    checkin_id: ResourceId,
    principal: CurrentPrincipal,
    checkins: Service,
    uow: Uow,
    body: Annotated[HeartbeatIn | None, Body()] = None,
) -> Checkin:
    location = body.location if body else None
    return await checkins.heartbeat(uow, principal.user_id, checkin_id, location)


@router.post("/checkins/{checkin_id}/cancel")
async def cancel_checkin(
    checkin_id: ResourceId, principal: CurrentPrincipal, checkins: Service, uow: Uow
) -> Checkin:
    return await checkins.cancel(uow, principal.user_id, checkin_id)

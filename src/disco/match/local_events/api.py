"""Thin endpoints of local events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from disco.match.local_events.schemas import (
    MAX_RADIUS_METERS,
    LocalEvent,
    LocalEventIn,
    LocalEvents,
)
from disco.match.local_events.service import LocalEventsService
from disco.platform.api import CurrentPrincipal, Uow, from_state

router = APIRouter(prefix="/v1/events", tags=["events"])


Service = Annotated[LocalEventsService, Depends(from_state("local_events"))]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create(
    body: LocalEventIn, principal: CurrentPrincipal, events: Service, uow: Uow
) -> LocalEvent:
    """A public event at a place; its host attends it."""
    return await events.create(uow, principal.user_id, body)


@router.get("")
async def upcoming(principal: CurrentPrincipal, events: Service, uow: Uow) -> LocalEvents:
    """Upcoming events the caller hosts or joined."""
    return LocalEvents(events=await events.upcoming(uow, principal.user_id))


@router.get("/nearby")
async def nearby(
    principal: CurrentPrincipal,
    events: Service,
    uow: Uow,
    latitude: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    longitude: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    radius: Annotated[float, Query(gt=0, le=MAX_RADIUS_METERS, description="metres")] = (
        MAX_RADIUS_METERS
    ),
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> LocalEvents:
    """Upcoming events within ``radius`` metres of the point, nearest first. The point is used
    for this query only: never stored or logged."""
    return LocalEvents(
        events=await events.nearby(uow, principal.user_id, latitude, longitude, radius, limit)
    )


@router.post("/{event_id}/join")
async def join(event_id: str, principal: CurrentPrincipal, events: Service, uow: Uow) -> LocalEvent:
    return await events.join(uow, principal.user_id, event_id)


@router.post("/{event_id}/leave")
async def leave(
    event_id: str, principal: CurrentPrincipal, events: Service, uow: Uow
) -> LocalEvent:
    return await events.leave(uow, principal.user_id, event_id)

"""Thin endpoint of meeting spots."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from disco.platform.api import CurrentPrincipal, Uow, from_state
from disco.safety.schemas import ID_PATTERN
from disco.safety.spots.schemas import MeetingSpots
from disco.safety.spots.service import SpotsService

router = APIRouter(prefix="/v1/safety", tags=["safety"])

Service = Annotated[SpotsService, Depends(from_state("spots"))]


@router.get("/meeting-spots")
async def meeting_spots(
    principal: CurrentPrincipal,
    spots: Service,
    uow: Uow,
    match_id: Annotated[str, Query(alias="matchId", pattern=ID_PATTERN)],
    latitude: Annotated[float, Query(ge=-90, le=90)],
    longitude: Annotated[float, Query(ge=-180, le=180)],
) -> MeetingSpots:
    """The caller's own position, which only its ~500 m cell is kept of (see the service)."""
    return await spots.meeting_spots(uow, principal.user_id, match_id, latitude, longitude)

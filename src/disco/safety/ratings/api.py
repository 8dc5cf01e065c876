"""Thin endpoints of ratings (trust scores are read under moderation)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from disco.platform.api import CurrentPrincipal, Uow, from_state
from disco.safety.ratings.schemas import Rating, RatingIn
from disco.safety.ratings.service import RatingsService

router = APIRouter(prefix="/v1/safety", tags=["safety"])

Service = Annotated[RatingsService, Depends(from_state("ratings"))]


@router.post("/ratings", status_code=status.HTTP_201_CREATED)
async def rate(body: RatingIn, principal: CurrentPrincipal, ratings: Service, uow: Uow) -> Rating:
    return await ratings.rate(uow, principal.user_id, body)

"""Thin endpoints: resolve dependencies, open the unit of work, call one service method."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from disco.match.discovery.schemas import (
    DiscoveryIn,
    DiscoveryState,
    LocationAck,
    LocationIn,
    NearbyList,
)
from disco.match.discovery.service import DiscoveryService
from disco.platform.api import CurrentPrincipal, Uow, from_state, parse_request
from disco.platform.http import DirectCall
from disco.platform.security import Principal

router = APIRouter(tags=["discovery"])


Service = Annotated[DiscoveryService, Depends(from_state("discovery"))]


@router.get("/v1/discovery")
async def discovery(principal: CurrentPrincipal, service: Service, uow: Uow) -> DiscoveryState:
    return await service.discovery(uow, principal.user_id)


@router.put("/v1/discovery")
async def set_discovery(
    body: DiscoveryIn, principal: CurrentPrincipal, service: Service, uow: Uow
) -> DiscoveryState:
    """On or off; ``until`` switches it off by itself (within 24 hours). Off takes the caller
    out of everyone's nearby list at once. At most ``DISCO_DISCOVERY_SWITCHES_PER_HOUR``
    switches an hour: 429 ``RATE_LIMITED`` with ``Retry-After`` past it."""
    return await service.set_discovery(uow, principal.user_id, body)


@router.post("/v1/location", status_code=status.HTTP_202_ACCEPTED)
async def location(body: LocationIn, principal: CurrentPrincipal, service: Service) -> LocationAck:
    """A location fix (also the WebSocket frame ``location_update``). 409 when discovery mode
    is off; 429 past the per-user rate; otherwise 202, ``accepted`` false with a reason for a
    fix that was not used. No unit of work here: most fixes touch the presence index alone,
    and the service opens one only to announce who met. Discovery reaches 85.05112878 degrees
    north and south (Web Mercator's limit, and Redis GEO's): a latitude beyond is a 422."""
    return await service.ingest(principal.user_id, body)


def location_frame(service: DiscoveryService) -> DirectCall:
    """``POST /v1/location`` as a direct call, for the gateway in this process: every WebSocket
    ``location_update`` comes this way in ``disco up``, without an HTTP round trip, from the
    socket's verified principal."""

    async def call(principal: Principal, body: dict[str, Any]) -> None:
        await service.ingest(principal.user_id, parse_request(LocationIn, body))

    return call


@router.get("/v1/discovery/nearby")
async def nearby(principal: CurrentPrincipal, service: Service) -> NearbyList:
    """Eligible users within both radii now, both measured between shown (displaced, snapped)
    positions: distance buckets only, ordered by bucket and then by fit, never by distance."""
    return await service.nearby(principal.user_id)

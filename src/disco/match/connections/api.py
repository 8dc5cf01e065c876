"""Thin endpoints of connections and matches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from disco.match.connections.schemas import Connection, ConnectionIn, Connections, MatchPage
from disco.match.connections.service import ConnectionsService
from disco.match.presence import Presence
from disco.platform.api import CurrentPrincipal, Uow, from_state

router = APIRouter(tags=["matches"])


Service = Annotated[ConnectionsService, Depends(from_state("connections"))]
Live = Annotated[Presence, Depends(from_state("presence"))]
NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.post("/v1/connections")
async def express_interest(
    body: ConnectionIn, principal: CurrentPrincipal, connections: Service, uow: Uow
) -> Connection:
    """Interest in someone met nearby in the last day; if they asked first, a match."""
    return await connections.express_interest(uow, principal.user_id, body.user_id)


@router.get("/v1/connections")
async def list_connections(
    principal: CurrentPrincipal, connections: Service, uow: Uow
) -> Connections:
    return Connections(connections=await connections.connections(uow, principal.user_id))


@router.post("/v1/connections/{connection_id}/accept")
async def accept(
    connection_id: str, principal: CurrentPrincipal, connections: Service, uow: Uow
) -> Connection:
    return await connections.accept(uow, principal.user_id, connection_id)


@router.post("/v1/connections/{connection_id}/decline")
async def decline(
    connection_id: str, principal: CurrentPrincipal, connections: Service, uow: Uow
) -> Connection:
    return await connections.decline(uow, principal.user_id, connection_id)


@router.get("/v1/matches")
async def matches(
    principal: CurrentPrincipal,
    connections: Service,
    uow: Uow,
    presence: Live,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    radius: Annotated[float | None, Query(gt=0, le=1609, description="metres")] = None,
) -> MatchPage:
    """Newest first, with the distance bucket of those in discovery mode now; ``radius`` keeps
    only those whose bucket reaches within it."""
    return await connections.matches(
        uow, presence, principal.user_id, limit=limit, offset=offset, radius_m=radius
    )


@router.delete("/v1/matches/{match_id}", status_code=NO_CONTENT)
async def unmatch(
    match_id: str, principal: CurrentPrincipal, connections: Service, uow: Uow
) -> Response:
    """Ends the match and closes its chat."""
    await connections.unmatch(uow, principal.user_id, match_id)
    return Response(status_code=NO_CONTENT)

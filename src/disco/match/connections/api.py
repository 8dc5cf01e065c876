"""Thin endpoints of connections and matches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from disco.match.connections.schemas import Connection, ConnectionIn, Connections, MatchPage
from disco.match.connections.service import ConnectionsService
from disco.match.deps import Db
from disco.match.presence import Presence
from disco.platform.api import CurrentPrincipal

router = APIRouter(tags=["matches"])


def _service(request: Request) -> ConnectionsService:
    return request.app.state.connections


def _presence(request: Request) -> Presence:
    return request.app.state.presence


Service = Annotated[ConnectionsService, Depends(_service)]
Live = Annotated[Presence, Depends(_presence)]
NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.post("/v1/connections")
async def express_interest(
    body: ConnectionIn, principal: CurrentPrincipal, connections: Service, db: Db
) -> Connection:
    """Interest in someone met nearby in the last day; if they asked first, a match."""
    async with db.unit_of_work("match.express_interest") as uow:
        return await connections.express_interest(uow, principal.user_id, body.user_id)


@router.get("/v1/connections")
async def list_connections(
    principal: CurrentPrincipal, connections: Service, db: Db
) -> Connections:
    async with db.unit_of_work("match.connections") as uow:
        return Connections(connections=await connections.connections(uow, principal.user_id))


@router.post("/v1/connections/{connection_id}/accept")
async def accept(
    connection_id: str, principal: CurrentPrincipal, connections: Service, db: Db
) -> Connection:
    async with db.unit_of_work("match.accept") as uow:
        return await connections.accept(uow, principal.user_id, connection_id)


@router.post("/v1/connections/{connection_id}/decline")
async def decline(
    connection_id: str, principal: CurrentPrincipal, connections: Service, db: Db
) -> Connection:
    async with db.unit_of_work("match.decline") as uow:
        return await connections.decline(uow, principal.user_id, connection_id)


@router.get("/v1/matches")
async def matches(
    principal: CurrentPrincipal,
    connections: Service,
    db: Db,
    presence: Live,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    radius: Annotated[float | None, Query(gt=0, le=1609, description="metres")] = None,
) -> MatchPage:
    """Newest first, with the distance bucket of those in discovery mode now; ``radius`` keeps
    only those whose bucket reaches within it."""
    async with db.unit_of_work("match.matches") as uow:
        return await connections.matches(
            uow, presence, principal.user_id, limit=limit, offset=offset, radius_m=radius
        )


@router.delete("/v1/matches/{match_id}", status_code=NO_CONTENT)
async def unmatch(
    match_id: str, principal: CurrentPrincipal, connections: Service, db: Db
) -> Response:
    """Ends the match and closes its chat."""
    async with db.unit_of_work("match.unmatch") as uow:
        await connections.unmatch(uow, principal.user_id, match_id)
    return Response(status_code=NO_CONTENT)

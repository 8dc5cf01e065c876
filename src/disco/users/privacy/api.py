"""Thin endpoints of privacy zones and blocks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from disco.platform.api import CurrentPrincipal, Uow, from_state
from disco.users.privacy.schemas import Block, BlockIn, Blocks, Zone, ZoneIn, Zones
from disco.users.privacy.service import PrivacyService

router = APIRouter(prefix="/v1/users/me", tags=["users"])

Service = Annotated[PrivacyService, Depends(from_state("privacy"))]
NO_CONTENT = status.HTTP_204_NO_CONTENT


# --- privacy zones ------------------------------------------------------------------------------
@router.get("/privacy-zones")
async def zones(principal: CurrentPrincipal, privacy: Service, uow: Uow) -> Zones:
    return Zones(zones=await privacy.zones(uow, principal.user_id))


@router.post("/privacy-zones", status_code=status.HTTP_201_CREATED)
async def add_zone(body: ZoneIn, principal: CurrentPrincipal, privacy: Service, uow: Uow) -> Zone:
    """Discovery switches off inside it, silently."""
    return await privacy.add_zone(uow, principal.user_id, body)


@router.delete("/privacy-zones/{zone_id}", status_code=NO_CONTENT)
async def delete_zone(
    zone_id: str, principal: CurrentPrincipal, privacy: Service, uow: Uow
) -> Response:
    await privacy.delete_zone(uow, principal.user_id, zone_id)
    return Response(status_code=NO_CONTENT)


# --- blocks -------------------------------------------------------------------------------------
@router.get("/blocks")
async def blocks(principal: CurrentPrincipal, privacy: Service, uow: Uow) -> Blocks:
    return Blocks(blocks=await privacy.blocks(uow, principal.user_id))


@router.post("/blocks", status_code=status.HTTP_201_CREATED)
async def block(body: BlockIn, principal: CurrentPrincipal, privacy: Service, uow: Uow) -> Block:
    """Absolute, both ways: neither of you sees, matches, messages or notifies the other."""
    return await privacy.block(uow, principal.user_id, body.user_id, body.until)


@router.delete("/blocks/{user_id}", status_code=NO_CONTENT)
async def unblock(
    user_id: str, principal: CurrentPrincipal, privacy: Service, uow: Uow
) -> Response:
    await privacy.unblock(uow, principal.user_id, user_id)
    return Response(status_code=NO_CONTENT)

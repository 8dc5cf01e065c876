"""Thin endpoints of the key directory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from disco.chat.keys.schemas import DEVICE_ID, KeyBundle, KeysIn, MyKeys
from disco.chat.keys.service import KeysService
from disco.platform.api import CurrentPrincipal, Uow, from_state

router = APIRouter(prefix="/v1/keys", tags=["chat"])

Service = Annotated[KeysService, Depends(from_state("keys"))]


@router.put("")
async def put_keys(body: KeysIn, principal: CurrentPrincipal, keys: Service, uow: Uow) -> MyKeys:
    """Register a device's keys, rotate its signed prekey, top up its one-time prekeys."""
    return await keys.put(uow, principal.user_id, body)


@router.get("")
async def my_keys(principal: CurrentPrincipal, keys: Service, uow: Uow) -> MyKeys:
    """Your devices, each with how many one-time prekeys are left (``low``: upload more)."""
    return await keys.mine(uow, principal.user_id)


@router.delete("/devices/{device_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_device(
    device_id: Annotated[str, Path(pattern=DEVICE_ID)],
    principal: CurrentPrincipal,
    keys: Service,
    uow: Uow,
) -> Response:
    await keys.remove(uow, principal.user_id, device_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{user_id}")
async def bundle(user_id: str, principal: CurrentPrincipal, keys: Service, uow: Uow) -> KeyBundle:
    """Someone you share an open chat with: their devices' keys, each with a one-time prekey
    that is yours alone (404 for anyone else)."""
    return await keys.bundle(uow, principal.user_id, user_id)

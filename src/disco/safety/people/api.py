"""Thin endpoints of the contacts safety will tell and the phones it pushes to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from disco.platform.api import CurrentPrincipal, Uow, from_state
from disco.safety.people.schemas import DeviceIn, SafetyContacts
from disco.safety.people.service import PeopleService

router = APIRouter(prefix="/v1/safety", tags=["safety"])

Service = Annotated[PeopleService, Depends(from_state("people"))]
DeviceId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.get("/contacts")
async def contacts(principal: CurrentPrincipal, people: Service, uow: Uow) -> SafetyContacts:
    return await people.contacts(uow, principal.user_id)


@router.put("/devices/{device_id}", status_code=NO_CONTENT)
async def put_device(
    device_id: DeviceId, body: DeviceIn, principal: CurrentPrincipal, people: Service, uow: Uow
) -> None:
    """A phone's push token (the app picks a stable id per installation)."""
    await people.put_device(uow, principal.user_id, device_id, body.push_token)


@router.delete("/devices/{device_id}", status_code=NO_CONTENT)
async def remove_device(
    device_id: DeviceId, principal: CurrentPrincipal, people: Service, uow: Uow
) -> None:
    await people.remove_device(uow, principal.user_id, device_id)

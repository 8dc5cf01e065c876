"""Thin endpoints of emergency contacts, and the page a contact opens from their mail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from disco.platform.api import CurrentPrincipal, Uow, from_state
from disco.users.contacts.schemas import (
    Contact,
    ContactConfirmation,
    ContactIn,
    ContactPatch,
    Contacts,
)
from disco.users.contacts.service import ContactsService

router = APIRouter(prefix="/v1/users", tags=["users"])

Service = Annotated[ContactsService, Depends(from_state("contacts"))]
NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.get("/me/emergency-contacts")
async def contacts(principal: CurrentPrincipal, service: Service, uow: Uow) -> Contacts:
    return Contacts(contacts=await service.contacts(uow, principal.user_id))


@router.post("/me/emergency-contacts", status_code=status.HTTP_201_CREATED)
async def add_contact(
    body: ContactIn, principal: CurrentPrincipal, service: Service, uow: Uow
) -> Contact:
    """Pending until the contact follows the link mailed to them."""
    return await service.add_contact(uow, principal.user_id, body)


@router.patch("/me/emergency-contacts/{contact_id}")
async def update_contact(
    contact_id: str, body: ContactPatch, principal: CurrentPrincipal, service: Service, uow: Uow
) -> Contact:
    """A new email address confirms afresh."""
    return await service.update_contact(uow, principal.user_id, contact_id, body)


@router.delete("/me/emergency-contacts/{contact_id}", status_code=NO_CONTENT)
async def delete_contact(
    contact_id: str, principal: CurrentPrincipal, service: Service, uow: Uow
) -> Response:
    await service.delete_contact(uow, principal.user_id, contact_id)
    return Response(status_code=NO_CONTENT)


@router.post("/me/emergency-contacts/{contact_id}/resend", status_code=status.HTTP_202_ACCEPTED)
async def resend_link(
    contact_id: str, principal: CurrentPrincipal, service: Service, uow: Uow
) -> Contact:
    """A pending contact is mailed a fresh link, and the one before stops working; 409 once
    they have confirmed; a few times an hour at most."""
    return await service.resend(uow, principal.user_id, contact_id)


@router.get("/contacts/confirm")
async def confirm_contact(
    service: Service, uow: Uow, token: Annotated[str, Query(min_length=1, max_length=512)]
) -> ContactConfirmation:
    """Opened by the contact from their mail: no account, the token is the proof."""
    name = await service.confirm_contact(uow, token)
    return ContactConfirmation(
        message=f"Thank you: you are now an emergency contact of {name} on Disco."
    )

"""Thin endpoints: resolve dependencies, open the unit of work, call one service method."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status

from disco.platform.api import CurrentPrincipal
from disco.platform.db import Database
from disco.users.interests import ACTIVITIES, SYNONYMS, TAXONOMY
from disco.users.schemas import (
    Block,
    BlockIn,
    Blocks,
    Contact,
    ContactConfirmation,
    ContactIn,
    ContactPatch,
    Contacts,
    Export,
    Level,
    Photo,
    Preferences,
    PreferencesIn,
    Profile,
    ProfilePatch,
    PublicProfile,
    Taxonomy,
    Zone,
    ZoneIn,
    Zones,
)
from disco.users.service import UsersService

router = APIRouter(prefix="/v1/users", tags=["users"])
# Other services only: mounted under /internal behind the service-credential check.
internal = APIRouter(prefix="/users", include_in_schema=False)


def _service(request: Request) -> UsersService:
    return request.app.state.service


def _db(request: Request) -> Database:
    return request.app.state.db


Service = Annotated[UsersService, Depends(_service)]
Db = Annotated[Database, Depends(_db)]
NO_CONTENT = status.HTTP_204_NO_CONTENT


def _jpeg(data: bytes) -> Response:
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=60", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/interests")
async def taxonomy(_: CurrentPrincipal) -> Taxonomy:
    """The curated interests clients suggest; any other tag is allowed too, normalised."""
    return Taxonomy(
        categories={name: list(tags) for name, tags in TAXONOMY.items()},
        synonyms=SYNONYMS,
        activities=list(ACTIVITIES),
    )


# --- profile and account ------------------------------------------------------------------------
@router.get("/me")
async def me(principal: CurrentPrincipal, users: Service, db: Db) -> Profile:
    async with db.unit_of_work("users.me") as uow:
        return await users.me(uow, principal.user_id)


@router.patch("/me")
async def update_me(
    body: ProfilePatch, principal: CurrentPrincipal, users: Service, db: Db
) -> Profile:
    async with db.unit_of_work("users.update_profile") as uow:
        return await users.update_profile(
            uow, principal.user_id, body.model_dump(exclude_unset=True)
        )


@router.post("/me/deactivate")
async def deactivate(principal: CurrentPrincipal, users: Service, db: Db) -> Profile:
    async with db.unit_of_work("users.deactivate") as uow:
        return await users.deactivate(uow, principal.user_id)


@router.post("/me/reactivate")
async def reactivate(principal: CurrentPrincipal, users: Service, db: Db) -> Profile:
    async with db.unit_of_work("users.reactivate") as uow:
        return await users.reactivate(uow, principal.user_id)


@router.delete("/me", status_code=NO_CONTENT)
async def delete_me(principal: CurrentPrincipal, users: Service, db: Db) -> Response:
    async with db.unit_of_work("users.delete_account") as uow:
        await users.delete_account(uow, principal.user_id)
    return Response(status_code=NO_CONTENT)


@router.get("/me/export")
async def export(principal: CurrentPrincipal, users: Service, db: Db, response: Response) -> Export:
    async with db.unit_of_work("users.export") as uow:
        document = await users.export(uow, principal.user_id)
    response.headers["Content-Disposition"] = 'attachment; filename="disco-export.json"'
    return document


# --- preferences --------------------------------------------------------------------------------
@router.get("/me/preferences")
async def preferences(principal: CurrentPrincipal, users: Service, db: Db) -> Preferences:
    async with db.unit_of_work("users.preferences") as uow:
        return await users.preferences(uow, principal.user_id)


@router.put("/me/preferences")
async def put_preferences(
    body: PreferencesIn, principal: CurrentPrincipal, users: Service, db: Db
) -> Preferences:
    async with db.unit_of_work("users.put_preferences") as uow:
        return await users.put_preferences(uow, principal.user_id, body)


# --- emergency contacts -------------------------------------------------------------------------
@router.get("/me/emergency-contacts")
async def contacts(principal: CurrentPrincipal, users: Service, db: Db) -> Contacts:
    async with db.unit_of_work("users.contacts") as uow:
        return Contacts(contacts=await users.contacts(uow, principal.user_id))


@router.post("/me/emergency-contacts", status_code=status.HTTP_201_CREATED)
async def add_contact(
    body: ContactIn, principal: CurrentPrincipal, users: Service, db: Db
) -> Contact:
    async with db.unit_of_work("users.add_contact") as uow:
        return await users.add_contact(uow, principal.user_id, body)


@router.patch("/me/emergency-contacts/{contact_id}")
async def update_contact(
    contact_id: str, body: ContactPatch, principal: CurrentPrincipal, users: Service, db: Db
) -> Contact:
    async with db.unit_of_work("users.update_contact") as uow:
        return await users.update_contact(uow, principal.user_id, contact_id, body)


@router.delete("/me/emergency-contacts/{contact_id}", status_code=NO_CONTENT)
async def delete_contact(
    contact_id: str, principal: CurrentPrincipal, users: Service, db: Db
) -> Response:
    async with db.unit_of_work("users.delete_contact") as uow:
        await users.delete_contact(uow, principal.user_id, contact_id)
    return Response(status_code=NO_CONTENT)


@router.get("/contacts/confirm")
async def confirm_contact(
    users: Service, db: Db, token: Annotated[str, Query(min_length=1, max_length=512)]
) -> ContactConfirmation:
    """Opened by the contact from their mail: no account, the token is the proof."""
    async with db.unit_of_work("users.confirm_contact") as uow:
        name = await users.confirm_contact(uow, token)
    return ContactConfirmation(
        message=f"Thank you: you are now an emergency contact of {name} on Disco."
    )


# --- privacy zones ------------------------------------------------------------------------------
@router.get("/me/privacy-zones")
async def zones(principal: CurrentPrincipal, users: Service, db: Db) -> Zones:
    async with db.unit_of_work("users.zones") as uow:
        return Zones(zones=await users.zones(uow, principal.user_id))


@router.post("/me/privacy-zones", status_code=status.HTTP_201_CREATED)
async def add_zone(body: ZoneIn, principal: CurrentPrincipal, users: Service, db: Db) -> Zone:
    async with db.unit_of_work("users.add_zone") as uow:
        return await users.add_zone(uow, principal.user_id, body)


@router.delete("/me/privacy-zones/{zone_id}", status_code=NO_CONTENT)
async def delete_zone(
    zone_id: str, principal: CurrentPrincipal, users: Service, db: Db
) -> Response:
    async with db.unit_of_work("users.delete_zone") as uow:
        await users.delete_zone(uow, principal.user_id, zone_id)
    return Response(status_code=NO_CONTENT)


# --- blocks -------------------------------------------------------------------------------------
@router.get("/me/blocks")
async def blocks(principal: CurrentPrincipal, users: Service, db: Db) -> Blocks:
    async with db.unit_of_work("users.blocks") as uow:
        return Blocks(blocks=await users.blocks(uow, principal.user_id))


@router.post("/me/blocks", status_code=status.HTTP_201_CREATED)
async def block(body: BlockIn, principal: CurrentPrincipal, users: Service, db: Db) -> Block:
    async with db.unit_of_work("users.block") as uow:
        return await users.block(uow, principal.user_id, body.user_id, body.until)


@router.delete("/me/blocks/{user_id}", status_code=NO_CONTENT)
async def unblock(user_id: str, principal: CurrentPrincipal, users: Service, db: Db) -> Response:
    async with db.unit_of_work("users.unblock") as uow:
        await users.unblock(uow, principal.user_id, user_id)
    return Response(status_code=NO_CONTENT)


# --- photo --------------------------------------------------------------------------------------
@router.post("/me/photo", status_code=status.HTTP_201_CREATED)
async def upload_photo(
    photo: Annotated[UploadFile, File(description="JPEG, PNG or WebP")],
    principal: CurrentPrincipal,
    users: Service,
    db: Db,
) -> Photo:
    # One byte over the cap is enough to know it is too big.
    upload = await photo.read(users.max_photo_bytes + 1)
    async with db.unit_of_work("users.set_photo") as uow:
        return Photo(photo_url=await users.set_photo(uow, principal.user_id, upload))


@router.get("/me/photo")
async def my_photo(principal: CurrentPrincipal, users: Service, db: Db) -> Response:
    async with db.unit_of_work("users.photo") as uow:
        return _jpeg(await users.photo(uow, principal.user_id, principal.user_id))


@router.delete("/me/photo", status_code=NO_CONTENT)
async def delete_photo(principal: CurrentPrincipal, users: Service, db: Db) -> Response:
    async with db.unit_of_work("users.delete_photo") as uow:
        await users.delete_photo(uow, principal.user_id)
    return Response(status_code=NO_CONTENT)


# --- other users --------------------------------------------------------------------------------
@router.get("/{user_id}")
async def profile(
    user_id: str, principal: CurrentPrincipal, users: Service, db: Db
) -> PublicProfile:
    """What a stranger nearby may see; 404 when hidden or blocked either way."""
    async with db.unit_of_work("users.view") as uow:
        return await users.view(uow, principal.user_id, user_id, "nearby")


@router.get("/{user_id}/photo")
async def photo(user_id: str, principal: CurrentPrincipal, users: Service, db: Db) -> Response:
    async with db.unit_of_work("users.photo") as uow:
        return _jpeg(await users.photo(uow, principal.user_id, user_id))


# --- internal: other services -------------------------------------------------------------------
@internal.get("/{user_id}/emergency-contacts")
async def confirmed_contacts(user_id: str, users: Service, db: Db) -> Contacts:
    """Who receives this user's alerts (confirmed contacts only)."""
    async with db.unit_of_work("users.confirmed_contacts") as uow:
        return Contacts(contacts=await users.confirmed_contacts(uow, user_id))


@internal.get("/{user_id}/view")
async def view(user_id: str, viewer: str, level: Level, users: Service, db: Db) -> PublicProfile:
    """A profile at the disclosure level the caller established (a match, say)."""
    async with db.unit_of_work("users.view") as uow:
        return await users.view(uow, viewer, user_id, level)


@internal.post("/encryption/rotate")
async def rotate_encryption(users: Service, db: Db) -> dict[str, Any]:
    """After a new key is put first in the ring: re-encrypts every stored secret under it."""
    async with db.unit_of_work("users.rotate_encryption") as uow:
        return {"rotated": await users.rotate_encryption(uow)}

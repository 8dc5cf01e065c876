"""Thin endpoints of profiles, preferences and accounts, and the internal ones other services
call. Emergency contacts, privacy zones and blocks, and photos have their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from disco.contracts.api.users import PublicProfile
from disco.contracts.events.auth import UserRegistered
from disco.platform.api import CurrentPrincipal, Uow, from_state
from disco.users.interests import ACTIVITIES, SYNONYMS, TAXONOMY
from disco.users.schemas import (
    Export,
    Level,
    NewProfile,
    Preferences,
    PreferencesIn,
    Profile,
    ProfilePatch,
    Taxonomy,
)
from disco.users.service import UsersService

router = APIRouter(prefix="/v1/users", tags=["users"])
# Other services only: mounted under /internal behind the service-credential check.
internal = APIRouter(prefix="/users", include_in_schema=False)

Service = Annotated[UsersService, Depends(from_state("users"))]
UserId = Annotated[str, Path(min_length=1, max_length=36)]
NO_CONTENT = status.HTTP_204_NO_CONTENT


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
async def me(principal: CurrentPrincipal, users: Service, uow: Uow) -> Profile:
    return await users.me(uow, principal.user_id)


@router.patch("/me")
async def update_me(
    body: ProfilePatch, principal: CurrentPrincipal, users: Service, uow: Uow
) -> Profile:
    return await users.update_profile(uow, principal.user_id, body.model_dump(exclude_unset=True))


@router.post("/me/deactivate")
async def deactivate(principal: CurrentPrincipal, users: Service, uow: Uow) -> Profile:
    return await users.deactivate(uow, principal.user_id)


@router.post("/me/reactivate")
async def reactivate(principal: CurrentPrincipal, users: Service, uow: Uow) -> Profile:
    return await users.reactivate(uow, principal.user_id)


@router.delete("/me", status_code=NO_CONTENT)
async def delete_me(principal: CurrentPrincipal, users: Service, uow: Uow) -> Response:
    await users.delete_account(uow, principal.user_id)
    return Response(status_code=NO_CONTENT)


@router.get("/me/export")
async def export(
    principal: CurrentPrincipal, users: Service, uow: Uow, response: Response
) -> Export:
    response.headers["Content-Disposition"] = 'attachment; filename="disco-export.json"'
    return await users.export(uow, principal.user_id)


# --- preferences --------------------------------------------------------------------------------
@router.get("/me/preferences")
async def preferences(principal: CurrentPrincipal, users: Service, uow: Uow) -> Preferences:
    return await users.preferences(uow, principal.user_id)


@router.put("/me/preferences")
async def put_preferences(
    body: PreferencesIn, principal: CurrentPrincipal, users: Service, uow: Uow
) -> Preferences:
    return await users.put_preferences(uow, principal.user_id, body)


# --- other users --------------------------------------------------------------------------------
@router.get("/{user_id}")
async def profile(
    user_id: str, principal: CurrentPrincipal, users: Service, uow: Uow
) -> PublicProfile:
    """What a stranger nearby may see; 404 when hidden or blocked either way."""
    return await users.view(uow, principal.user_id, user_id, "nearby")


# --- internal: other services -------------------------------------------------------------------
@internal.put("/{user_id}/profile", status_code=status.HTTP_201_CREATED)
async def create_profile(user_id: UserId, body: NewProfile, users: Service, uow: Uow) -> Response:
    """Auth, right after a sign-up commits: the new account's profile, so the user's very next
    request finds it. 201 if made now, 200 if it existed (made by an earlier call or by
    ``auth.user.registered``), and then it is left exactly as it is."""
    made = await users.create_profile(uow, UserRegistered(user_id=user_id, **body.model_dump()))
    return Response(status_code=status.HTTP_201_CREATED if made else status.HTTP_200_OK)


@internal.get("/{user_id}/view")
async def view(user_id: str, viewer: str, level: Level, users: Service, uow: Uow) -> PublicProfile:
    """A profile at the disclosure level the caller established (a match, say)."""
    return await users.view(uow, viewer, user_id, level)

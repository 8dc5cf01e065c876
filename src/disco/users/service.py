"""The rules of profiles, preferences and accounts (deactivation, deletion, export, key
rotation). Never commits (the caller's unit of work does); never builds HTTP.

Emergency contacts, privacy zones and blocks, and photos have their own services beside their
code (``contacts/``, ``privacy/``, ``photos/``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from disco.contracts.api.users import PublicProfile
from disco.contracts.events.auth import UserRegistered
from disco.contracts.events.users import AgeRange as AgeRangeEvent
from disco.contracts.events.users import (
    PreferencesUpdated,
    ProfileUpdated,
    UserDeactivated,
    UserDeleted,
    UserReactivated,
)
from disco.contracts.events.users import TimeWindow as TimeWindowEvent
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork
from disco.platform.errors import Unavailable
from disco.users.access import own_profile, visible_profile
from disco.users.photos.service import PhotosService
from disco.users.repository import PreferencesRow, ProfileRow, UsersRepository
from disco.users.schemas import (
    DEFAULT_VISIBILITY,
    MAX_RADIUS_METERS,
    Export,
    Level,
    Preferences,
    PreferencesIn,
    Profile,
    Visibility,
    exported,
)

__all__ = ["Exporter", "UserData", "UsersService"]

log = logging.getLogger(__name__)

# A newcomer is discoverable at the widest radius until they choose otherwise.
DEFAULT_RADIUS_METERS = MAX_RADIUS_METERS

# Another service's share of a user's data export: user id -> JSON-ready document.
Exporter = Callable[[str], Awaitable[dict[str, Any]]]


class UserData(Protocol):
    """A part of this service that holds some of a user's data (contacts, zones, ...)."""

    async def export(self, uow: UnitOfWork, user_id: str) -> dict[str, Any]:
        """Its sections of the user's data export, by name."""


class UsersService:
    def __init__(
        self,
        ctx: ServiceContext,
        photos: PhotosService,
        parts: Sequence[UserData],
        exporters: Mapping[str, Exporter],
    ) -> None:
        self._clock = ctx.clock
        self._cipher = ctx.cipher
        self._photos = photos
        self._parts = parts
        self._exporters = exporters

    # --- profile --------------------------------------------------------------------------------
    async def create_profile(self, uow: UnitOfWork, registered: UserRegistered) -> bool:
        """A new account's profile and default preferences, unless it has them already: auth
        asks right after the sign-up, and announces it (``auth.user.registered``); whichever
        comes first makes the profile, and nothing that comes later changes it (nor brings back
        a deleted account). True if made."""
        repo = UsersRepository(uow)
        now = self._clock.now()
        made = await repo.add_profile(
            user_id=registered.user_id,
            first_name=registered.first_name,
            last_name=registered.last_name,
            bio="",
            interests=[],
            activities=[],
            mode="social",
            visibility=DEFAULT_VISIBILITY.model_dump(),
            created_at=now,
            updated_at=now,
        )
        if not made:
            return False
        # Asked after the insert, which waited for any deletion of this account in flight: an
        # account deleted before its sign-up was announced (a delayed event) stays deleted.
        if await repo.was_erased(registered.user_id):
            await repo.delete_profile(registered.user_id)
            return False
        await repo.put_preferences(
            registered.user_id,
            discovery_radius_meters=DEFAULT_RADIUS_METERS,
            time_windows=[],
            age_min=None,
            age_max=None,
            professional_only=False,
            updated_at=now,
        )
        await self._publish_profile(uow, await own_profile(uow, registered.user_id))
        await self._publish_preferences(uow, registered.user_id)
        return True

    async def me(self, uow: UnitOfWork, user_id: str) -> Profile:
        return Profile.of(await own_profile(uow, user_id))

    async def update_profile(
        self, uow: UnitOfWork, user_id: str, changes: dict[str, Any]
    ) -> Profile:
        await own_profile(uow, user_id)
        if "visibility" in changes:
            changes["visibility"] = Visibility.model_validate(changes["visibility"]).model_dump()
        await UsersRepository(uow).update_profile(user_id, **changes, updated_at=self._clock.now())
        profile = await own_profile(uow, user_id)
        await self._publish_profile(uow, profile)
        return Profile.of(profile)

    async def view(
        self, uow: UnitOfWork, viewer_id: str, user_id: str, level: Level
    ) -> PublicProfile:
        """What ``viewer_id`` may see of ``user_id``; NotFound if hidden or blocked either way."""
        profile = await visible_profile(uow, viewer_id, user_id, self._clock.now())
        viewer = await UsersRepository(uow).profile(viewer_id)
        mine = set(viewer.interests) if viewer else set()
        shown = getattr(Visibility.model_validate(profile.visibility), level)
        return PublicProfile(
            id=profile.user_id,
            first_name=profile.first_name,
            mode=profile.mode,
            shared_interests=[tag for tag in profile.interests if tag in mine],
            last_name=profile.last_name if shown.last_name else None,
            bio=profile.bio if shown.bio else None,
            interests=profile.interests if shown.all_interests else None,
            activities=profile.activities if shown.activities else None,
            photo_url=f"/v1/users/{user_id}/photo" if shown.photo and profile.photo_key else None,
        )

    async def _publish_profile(self, uow: UnitOfWork, profile: ProfileRow) -> None:
        await uow.publish(
            ProfileUpdated(
                user_id=profile.user_id,
                first_name=profile.first_name,
                interests=profile.interests,
                activities=profile.activities,
                mode=profile.mode,
                birth_date=profile.birth_date,
            )
        )

    # --- preferences ----------------------------------------------------------------------------
    async def preferences(self, uow: UnitOfWork, user_id: str) -> Preferences:
        await own_profile(uow, user_id)
        return Preferences.of(await self._preferences(uow, user_id))

    async def put_preferences(
        self, uow: UnitOfWork, user_id: str, body: PreferencesIn
    ) -> Preferences:
        await own_profile(uow, user_id)
        await UsersRepository(uow).put_preferences(
            user_id,
            discovery_radius_meters=body.discovery_radius_meters,
            time_windows=[w.model_dump() for w in body.time_windows],
            age_min=body.age_range.min if body.age_range else None,
            age_max=body.age_range.max if body.age_range else None,
            professional_only=body.professional_only,
            updated_at=self._clock.now(),
        )
        return Preferences.of(await self._publish_preferences(uow, user_id))

    async def _preferences(self, uow: UnitOfWork, user_id: str) -> PreferencesRow:
        row = await UsersRepository(uow).preferences(user_id)
        assert row is not None  # made with the profile
        return row

    async def _publish_preferences(self, uow: UnitOfWork, user_id: str) -> PreferencesRow:
        row = await self._preferences(uow, user_id)
        await uow.publish(
            PreferencesUpdated(
                user_id=user_id,
                discovery_radius_meters=row.discovery_radius_meters,
                time_windows=[TimeWindowEvent.model_validate(w) for w in row.time_windows],
                age_range=(
                    AgeRangeEvent(min=row.age_min, max=row.age_max)
                    if row.age_min is not None and row.age_max is not None
                    else None
                ),
                professional_only=row.professional_only,
            )
        )
        return row

    # --- account --------------------------------------------------------------------------------
    async def deactivate(self, uow: UnitOfWork, user_id: str) -> Profile:
        profile = await own_profile(uow, user_id)
        if profile.deactivated_at is None:
            await UsersRepository(uow).update_profile(user_id, deactivated_at=self._clock.now())
            await uow.publish(UserDeactivated(user_id=user_id))
        return await self.me(uow, user_id)

    async def reactivate(self, uow: UnitOfWork, user_id: str) -> Profile:
        profile = await own_profile(uow, user_id)
        if profile.deactivated_at is not None:
            await UsersRepository(uow).update_profile(user_id, deactivated_at=None)
            await uow.publish(UserReactivated(user_id=user_id))
        return await self.me(uow, user_id)

    async def delete_account(self, uow: UnitOfWork, user_id: str) -> None:
        """Erases the user here; every other service erases them on ``users.user.deleted``."""
        profile = await own_profile(uow, user_id)
        repo = UsersRepository(uow)
        await repo.delete_profile(user_id)
        await repo.mark_erased(user_id, self._clock.now())
        await uow.publish(UserDeleted(user_id=user_id))
        if profile.photo_key:
            self._photos.delete_after_commit(uow, profile.photo_key)

    async def export(self, uow: UnitOfWork, user_id: str) -> Export:
        """Everything every service holds about the user, by service."""
        ours: dict[str, Any] = {
            "profile": exported(await self.me(uow, user_id)),
            "preferences": exported(await self.preferences(uow, user_id)),
        }
        for part in self._parts:
            ours.update(await part.export(uow, user_id))
        documents: dict[str, Any] = {"users": ours}
        for service, export in self._exporters.items():
            try:
                documents[service] = await export(user_id)
            except Exception as exc:
                log.warning("export of %s failed: %s", service, exc)
                raise Unavailable(
                    f"The {service} service could not export your data; try again shortly."
                ) from exc
        return Export(user_id=user_id, exported_at=self._clock.now(), services=documents)

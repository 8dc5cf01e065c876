"""The users service's rules. Never commits (the caller's unit of work does); never builds HTTP."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from typing import Any

from disco.contracts.events.auth import UserRegistered
from disco.contracts.events.users import (
    AgeRange as AgeRangeEvent,
)
from disco.contracts.events.users import (
    BlockAdded,
    BlockRemoved,
    ContactConfirmed,
    ContactDetails,
    ContactRemoved,
    PreferencesUpdated,
    PrivacyZoneAdded,
    PrivacyZoneArea,
    PrivacyZoneRemoved,
    ProfileUpdated,
    UserDeactivated,
    UserDeleted,
    UserReactivated,
)
from disco.contracts.events.users import (
    TimeWindow as TimeWindowEvent,
)
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    Unavailable,
    ValidationFailed,
)
from disco.users.photos import InvalidPhoto, reencode
from disco.users.repository import ContactRow, ProfileRow, UsersRepository, ZoneRow
from disco.users.schemas import (
    DEFAULT_VISIBILITY,
    MAX_RADIUS_METERS,
    Block,
    Contact,
    ContactIn,
    ContactPatch,
    Export,
    Level,
    Preferences,
    PreferencesIn,
    Profile,
    PublicProfile,
    Visibility,
    Zone,
    ZoneIn,
)
from disco.users.storage import PhotoStore

__all__ = ["MAX_CONTACTS", "MAX_ZONES", "Exporter", "UsersService"]

log = logging.getLogger(__name__)

MAX_CONTACTS = 5
MAX_ZONES = 10
# A newcomer is discoverable at the widest radius until they choose otherwise.
DEFAULT_RADIUS_METERS = MAX_RADIUS_METERS

# Another service's share of a user's data export: user id -> JSON-ready document.
Exporter = Callable[[str], Awaitable[dict[str, Any]]]

_NO_PROFILE = "No such user."


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UsersService:
    def __init__(
        self, ctx: ServiceContext, photos: PhotoStore, exporters: Mapping[str, Exporter]
    ) -> None:
        self._ctx = ctx
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._cipher = ctx.cipher
        self._photos = photos
        self._exporters = exporters
        self.max_photo_bytes = ctx.settings.max_photo_bytes
        self._background: set[asyncio.Task[None]] = set()

    # --- profile --------------------------------------------------------------------------------
    async def create_profile(self, uow: UnitOfWork, registered: UserRegistered) -> None:
        """Every account gets a profile and default preferences when auth announces it."""
        repo = UsersRepository(uow)
        if await repo.profile(registered.user_id) is not None:
            return
        now = self._clock.now()
        await repo.add_profile(
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
        await repo.put_preferences(
            registered.user_id,
            discovery_radius_meters=DEFAULT_RADIUS_METERS,
            time_windows=[],
            age_min=None,
            age_max=None,
            professional_only=False,
            updated_at=now,
        )
        profile = await self._profile(repo, registered.user_id)
        await self._publish_profile(uow, profile)
        await self._publish_preferences(uow, repo, registered.user_id)

    async def me(self, uow: UnitOfWork, user_id: str) -> Profile:
        return Profile.of(await self._profile(UsersRepository(uow), user_id))

    async def update_profile(
        self, uow: UnitOfWork, user_id: str, changes: dict[str, Any]
    ) -> Profile:
        repo = UsersRepository(uow)
        await self._profile(repo, user_id)
        if "visibility" in changes:
            changes["visibility"] = Visibility.model_validate(changes["visibility"]).model_dump()
        await repo.update_profile(user_id, **changes, updated_at=self._clock.now())
        profile = await self._profile(repo, user_id)
        await self._publish_profile(uow, profile)
        return Profile.of(profile)

    async def view(
        self, uow: UnitOfWork, viewer_id: str, user_id: str, level: Level
    ) -> PublicProfile:
        """What ``viewer_id`` may see of ``user_id``; NotFound if hidden or blocked either way."""
        repo = UsersRepository(uow)
        profile = await self._visible(repo, viewer_id, user_id)
        viewer = await repo.profile(viewer_id)
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

    async def _visible(self, repo: UsersRepository, viewer_id: str, user_id: str) -> ProfileRow:
        profile = await repo.profile(user_id)
        if (
            profile is None
            or profile.deactivated_at is not None
            or await repo.blocked_either_way(viewer_id, user_id, self._clock.now())
        ):
            raise NotFound(_NO_PROFILE)
        return profile

    async def _profile(self, repo: UsersRepository, user_id: str) -> ProfileRow:
        profile = await repo.profile(user_id)
        if profile is None:
            # Also the answer in the moment between sign-up and the profile's creation.
            raise NotFound(_NO_PROFILE, headers={"Retry-After": "1"})
        return profile

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
        repo = UsersRepository(uow)
        await self._profile(repo, user_id)
        row = await repo.preferences(user_id)
        assert row is not None  # made with the profile
        return Preferences.of(row)

    async def put_preferences(
        self, uow: UnitOfWork, user_id: str, body: PreferencesIn
    ) -> Preferences:
        repo = UsersRepository(uow)
        await self._profile(repo, user_id)
        await repo.put_preferences(
            user_id,
            discovery_radius_meters=body.discovery_radius_meters,
            time_windows=[w.model_dump() for w in body.time_windows],
            age_min=body.age_range.min if body.age_range else None,
            age_max=body.age_range.max if body.age_range else None,
            professional_only=body.professional_only,
            updated_at=self._clock.now(),
        )
        return await self._publish_preferences(uow, repo, user_id)

    async def _publish_preferences(
        self, uow: UnitOfWork, repo: UsersRepository, user_id: str
    ) -> Preferences:
        row = await repo.preferences(user_id)
        assert row is not None
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
        return Preferences.of(row)

    # --- emergency contacts ---------------------------------------------------------------------
    def _details(self, contact: ContactRow) -> ContactDetails:
        return ContactDetails.model_validate_json(self._cipher.decrypt(contact.sealed))

    def _contact(self, contact: ContactRow) -> Contact:
        return Contact.of(contact, self._details(contact))

    async def contacts(self, uow: UnitOfWork, user_id: str) -> list[Contact]:
        repo = UsersRepository(uow)
        await self._profile(repo, user_id)
        return [self._contact(c) for c in await repo.contacts(user_id)]

    async def confirmed_contacts(self, uow: UnitOfWork, user_id: str) -> list[Contact]:
        """Who receives this user's alerts."""
        return [c for c in await self.contacts(uow, user_id) if c.status == "confirmed"]

    async def add_contact(self, uow: UnitOfWork, user_id: str, body: ContactIn) -> Contact:
        repo = UsersRepository(uow)
        profile = await self._profile(repo, user_id)
        if await repo.count_contacts(user_id) >= MAX_CONTACTS:
            raise Conflict(f"At most {MAX_CONTACTS} emergency contacts; remove one first.")
        contact_id = new_id()
        details = ContactDetails(name=body.name, email=str(body.email).lower(), phone=body.phone)
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        await repo.add_contact(
            id=contact_id,
            user_id=user_id,
            sealed=self._cipher.encrypt(details.model_dump_json()),
            token_hash=hash_token(token),
            token_expires_at=self._token_expiry(),
            created_at=now,
        )
        self._ask_to_confirm(uow, profile, details, token)
        contact = await repo.contact(user_id, contact_id)
        assert contact is not None
        return self._contact(contact)

    async def update_contact(
        self, uow: UnitOfWork, user_id: str, contact_id: str, body: ContactPatch
    ) -> Contact:
        repo = UsersRepository(uow)
        profile = await self._profile(repo, user_id)
        contact = await repo.contact(user_id, contact_id)
        if contact is None:
            raise NotFound("No such emergency contact.")
        old = self._details(contact)
        new = old.model_copy(update=body.model_dump(exclude_unset=True))
        new = new.model_copy(update={"email": new.email.lower()})
        values: dict[str, Any] = {"sealed": self._cipher.encrypt(new.model_dump_json())}
        if new.email != old.email:
            # A new address has not agreed to anything yet: it confirms afresh.
            token = secrets.token_urlsafe(32)
            values.update(
                confirmed_at=None,
                token_hash=hash_token(token),
                token_expires_at=self._token_expiry(),
            )
            self._ask_to_confirm(uow, profile, new, token)
            if contact.confirmed_at is not None:
                await uow.publish(ContactRemoved(user_id=user_id, contact_id=contact_id))
        await repo.update_contact(contact_id, **values)
        updated = await repo.contact(user_id, contact_id)
        assert updated is not None
        if updated.confirmed_at is not None:
            await self._publish_confirmed(uow, updated)
        return self._contact(updated)

    async def delete_contact(self, uow: UnitOfWork, user_id: str, contact_id: str) -> None:
        repo = UsersRepository(uow)
        contact = await repo.contact(user_id, contact_id)
        if contact is None or not await repo.delete_contact(user_id, contact_id):
            raise NotFound("No such emergency contact.")
        if contact.confirmed_at is not None:
            await uow.publish(ContactRemoved(user_id=user_id, contact_id=contact_id))

    async def confirm_contact(self, uow: UnitOfWork, token: str) -> str:
        """The contact followed their link; returns the name of the user they now stand by."""
        repo = UsersRepository(uow)
        contact = await repo.confirm_contact(hash_token(token), self._clock.now())
        if contact is None:
            raise ValidationFailed("The confirmation link is invalid, used or expired.")
        await self._publish_confirmed(uow, contact)
        profile = await self._profile(repo, contact.user_id)
        return profile.first_name

    async def _publish_confirmed(self, uow: UnitOfWork, contact: ContactRow) -> None:
        await uow.publish(
            ContactConfirmed(
                user_id=contact.user_id,
                contact_id=contact.id,
                sealed_details=ContactConfirmed.seal(self._cipher, self._details(contact)),
            )
        )

    def _token_expiry(self) -> datetime:
        return self._clock.now() + timedelta(seconds=self._settings.email_token_ttl_seconds)

    def _ask_to_confirm(
        self, uow: UnitOfWork, profile: ProfileRow, contact: ContactDetails, token: str
    ) -> None:
        link = f"{self._settings.base_url}/v1/users/contacts/confirm?token={token}"
        who = f"{profile.first_name} {profile.last_name}".strip()
        hours = self._settings.email_token_ttl_seconds // 3600
        self._mail_after_commit(
            uow,
            contact.email,
            f"{who} asks you to be their emergency contact on Disco",
            f"Hello {contact.name},\n\n{who} would like you to be one of their emergency "
            f"contacts on Disco. If they raise an alert or miss a safety check-in, you will be "
            f"told where they are.\n\nTo agree, open this link (it works once, for {hours} "
            f"hours):\n{link}\n\nIf you do not know {who}, ignore this mail: nothing will be "
            "sent to you.",
        )

    # --- privacy zones --------------------------------------------------------------------------
    def _zone(self, zone: ZoneRow) -> Zone:
        return Zone.of(zone, self._cipher.decrypt_json(zone.sealed))

    async def zones(self, uow: UnitOfWork, user_id: str) -> list[Zone]:
        repo = UsersRepository(uow)
        await self._profile(repo, user_id)
        return [self._zone(z) for z in await repo.zones(user_id, self._clock.now())]

    async def add_zone(self, uow: UnitOfWork, user_id: str, body: ZoneIn) -> Zone:
        repo = UsersRepository(uow)
        await self._profile(repo, user_id)
        now = self._clock.now()
        if body.expires_at is not None and body.expires_at <= now:
            raise ValidationFailed("A temporary zone must end in the future.")
        await repo.delete_expired_zones(user_id, now)
        if len(await repo.zones(user_id, now)) >= MAX_ZONES:
            raise Conflict(f"At most {MAX_ZONES} privacy zones; remove one first.")
        zone_id = new_id()
        await repo.add_zone(
            id=zone_id,
            user_id=user_id,
            sealed=self._cipher.encrypt_json(
                {"name": body.name, "latitude": body.latitude, "longitude": body.longitude}
            ),
            radius_meters=body.radius_meters,
            expires_at=body.expires_at,
            created_at=now,
        )
        area = PrivacyZoneArea(
            latitude=body.latitude, longitude=body.longitude, radius_meters=body.radius_meters
        )
        await uow.publish(
            PrivacyZoneAdded(
                user_id=user_id,
                zone_id=zone_id,
                sealed_area=PrivacyZoneAdded.seal(self._cipher, area),
                expires_at=body.expires_at,
            )
        )
        zone = next(z for z in await repo.zones(user_id, now) if z.id == zone_id)
        return self._zone(zone)

    async def delete_zone(self, uow: UnitOfWork, user_id: str, zone_id: str) -> None:
        if not await UsersRepository(uow).delete_zone(user_id, zone_id):
            raise NotFound("No such privacy zone.")
        await uow.publish(PrivacyZoneRemoved(user_id=user_id, zone_id=zone_id))

    # --- blocks ---------------------------------------------------------------------------------
    async def blocks(self, uow: UnitOfWork, user_id: str) -> list[Block]:
        repo = UsersRepository(uow)
        await self._profile(repo, user_id)
        return [Block.of(b) for b in await repo.blocks(user_id, self._clock.now())]

    async def block(
        self, uow: UnitOfWork, user_id: str, body_user_id: str, until: datetime | None
    ) -> Block:
        repo = UsersRepository(uow)
        await self._profile(repo, user_id)
        now = self._clock.now()
        if body_user_id == user_id:
            raise ValidationFailed("You cannot block yourself.")
        if until is not None and until <= now:
            raise ValidationFailed("A temporary block must end in the future.")
        # A deactivated account can be blocked: it may come back.
        if await repo.profile(body_user_id) is None:
            raise NotFound(_NO_PROFILE)
        await repo.put_block(user_id, body_user_id, until, now)
        await uow.publish(BlockAdded(user_id=user_id, blocked_user_id=body_user_id, until=until))
        block = next(b for b in await repo.blocks(user_id, now) if b.blocked_id == body_user_id)
        return Block.of(block)

    async def unblock(self, uow: UnitOfWork, user_id: str, blocked_id: str) -> None:
        if not await UsersRepository(uow).delete_block(user_id, blocked_id, self._clock.now()):
            raise NotFound("No such block.")
        await uow.publish(BlockRemoved(user_id=user_id, blocked_user_id=blocked_id))

    # --- photo ----------------------------------------------------------------------------------
    async def set_photo(self, uow: UnitOfWork, user_id: str, upload: bytes) -> str:
        repo = UsersRepository(uow)
        profile = await self._profile(repo, user_id)
        if len(upload) > self.max_photo_bytes:
            raise PayloadTooLarge(f"A photo is at most {self.max_photo_bytes} bytes.")
        try:
            clean = await asyncio.to_thread(reencode, upload)
        except InvalidPhoto as exc:
            raise ValidationFailed(str(exc)) from exc
        key = await self._photos.put(clean)
        await repo.update_profile(user_id, photo_key=key, updated_at=self._clock.now())
        if profile.photo_key:
            self._after_commit(uow, self._photos.delete, profile.photo_key)
        return f"/v1/users/{user_id}/photo"

    async def delete_photo(self, uow: UnitOfWork, user_id: str) -> None:
        repo = UsersRepository(uow)
        profile = await self._profile(repo, user_id)
        if profile.photo_key is None:
            raise NotFound("There is no photo.")
        await repo.update_profile(user_id, photo_key=None, updated_at=self._clock.now())
        self._after_commit(uow, self._photos.delete, profile.photo_key)

    async def photo(self, uow: UnitOfWork, viewer_id: str, user_id: str) -> bytes:
        repo = UsersRepository(uow)
        if viewer_id == user_id:
            profile = await self._profile(repo, user_id)
        else:
            profile = await self._visible(repo, viewer_id, user_id)
            if not Visibility.model_validate(profile.visibility).nearby.photo:
                raise NotFound("There is no photo.")
        data = await self._photos.get(profile.photo_key) if profile.photo_key else None
        if data is None:
            raise NotFound("There is no photo.")
        return data

    # --- account --------------------------------------------------------------------------------
    async def deactivate(self, uow: UnitOfWork, user_id: str) -> Profile:
        repo = UsersRepository(uow)
        profile = await self._profile(repo, user_id)
        if profile.deactivated_at is None:
            await repo.update_profile(user_id, deactivated_at=self._clock.now())
            await uow.publish(UserDeactivated(user_id=user_id))
        return Profile.of(await self._profile(repo, user_id))

    async def reactivate(self, uow: UnitOfWork, user_id: str) -> Profile:
        repo = UsersRepository(uow)
        profile = await self._profile(repo, user_id)
        if profile.deactivated_at is not None:
            await repo.update_profile(user_id, deactivated_at=None)
            await uow.publish(UserReactivated(user_id=user_id))
        return Profile.of(await self._profile(repo, user_id))

    async def delete_account(self, uow: UnitOfWork, user_id: str) -> None:
        """Erases the user here; every other service erases them on ``users.user.deleted``."""
        repo = UsersRepository(uow)
        profile = await self._profile(repo, user_id)
        await repo.delete_profile(user_id)
        await uow.publish(UserDeleted(user_id=user_id))
        if profile.photo_key:
            self._after_commit(uow, self._photos.delete, profile.photo_key)

    async def export(self, uow: UnitOfWork, user_id: str) -> Export:
        """Everything every service holds about the user, by service."""
        repo = UsersRepository(uow)
        profile = await self._profile(repo, user_id)
        photo = await self._photos.get(profile.photo_key) if profile.photo_key else None
        ours = {
            "profile": Profile.of(profile).model_dump(mode="json", by_alias=True),
            "preferences": (await self.preferences(uow, user_id)).model_dump(
                mode="json", by_alias=True
            ),
            "emergencyContacts": [
                c.model_dump(mode="json", by_alias=True) for c in await self.contacts(uow, user_id)
            ],
            "privacyZones": [
                z.model_dump(mode="json", by_alias=True) for z in await self.zones(uow, user_id)
            ],
            "blocks": [
                b.model_dump(mode="json", by_alias=True) for b in await self.blocks(uow, user_id)
            ],
            "photo": (
                {"contentType": "image/jpeg", "base64": base64.b64encode(photo).decode()}
                if photo
                else None
            ),
        }
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

    async def rotate_encryption(self, uow: UnitOfWork) -> int:
        """Re-encrypt every stored secret under the newest key, so older keys can be retired."""
        return await UsersRepository(uow).reseal_all(self._cipher.rotate)

    # --- after commit ---------------------------------------------------------------------------
    def _mail_after_commit(self, uow: UnitOfWork, to: str, subject: str, body: str) -> None:
        """Sent after commit and off the request path: a slow mail server delays no one."""

        async def send(_: None) -> None:
            await self._ctx.mailer.send(to, subject, body)

        self._after_commit(uow, send, None)

    def _after_commit(
        self, uow: UnitOfWork, job: Callable[[Any], Coroutine[Any, Any, None]], arg: Any
    ) -> None:
        async def run() -> None:
            try:
                await job(arg)
            except Exception:
                log.exception("after-commit job of %s failed", uow.name)

        async def schedule() -> None:
            task = asyncio.create_task(run())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        uow.after_commit(schedule)

    async def drain(self) -> None:
        """Wait for mail and file clean-up still under way (at shutdown)."""
        await asyncio.gather(*self._background, return_exceptions=True)

"""Events the users service publishes: how every other service learns what a person set.

Places and people are sensitive: a privacy zone reveals a home, an emergency contact is a third
party's address. Outbox rows and broker messages are stored, so those details travel sealed
with the system's field cipher (``FieldCipher``, the same key ring every service is given) and
consumers open them with ``open_area`` / ``open_details``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from disco.contracts.events.base import Event
from disco.platform.security import FieldCipher

__all__ = [
    "AgeRange",
    "BlockAdded",
    "BlockRemoved",
    "ContactConfirmed",
    "ContactDetails",
    "ContactRemoved",
    "PreferencesUpdated",
    "PrivacyZoneAdded",
    "PrivacyZoneArea",
    "PrivacyZoneRemoved",
    "ProfileUpdated",
    "TimeWindow",
    "UserDeactivated",
    "UserDeleted",
    "UserReactivated",
]

Mode = Literal["social", "professional"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class TimeWindow(BaseModel):
    """Local wall-clock times in ``tz``; ``end`` before ``start`` runs past midnight."""

    model_config = ConfigDict(frozen=True)

    days: list[Weekday]
    start: str  # HH:MM
    end: str  # HH:MM
    tz: str  # IANA name


class AgeRange(BaseModel):
    model_config = ConfigDict(frozen=True)

    min: int
    max: int


class ProfileUpdated(Event):
    """What matching scores on. Published at creation and on every profile change."""

    event_type = "users.profile.updated"

    user_id: str
    first_name: str
    interests: list[str]
    activities: list[str]
    mode: Mode
    birth_date: date | None = None


class PreferencesUpdated(Event):
    event_type = "users.preferences.updated"

    user_id: str
    discovery_radius_meters: int
    time_windows: list[TimeWindow]
    age_range: AgeRange | None = None
    professional_only: bool = False


class PrivacyZoneArea(BaseModel):
    model_config = ConfigDict(frozen=True)

    latitude: float
    longitude: float
    radius_meters: int


class PrivacyZoneAdded(Event):
    """Discovery is off inside the zone until ``expires_at`` (never, if None)."""

    event_type = "users.privacy_zone.added"

    user_id: str
    zone_id: str
    sealed_area: str  # a PrivacyZoneArea, sealed: see the module's docstring
    expires_at: datetime | None = None

    @staticmethod
    def seal(cipher: FieldCipher, area: PrivacyZoneArea) -> str:
        return cipher.encrypt(area.model_dump_json())

    def open_area(self, cipher: FieldCipher) -> PrivacyZoneArea:
        return PrivacyZoneArea.model_validate_json(cipher.decrypt(self.sealed_area))


class PrivacyZoneRemoved(Event):
    event_type = "users.privacy_zone.removed"

    user_id: str
    zone_id: str


class BlockAdded(Event):
    """Absolute in every service while it lasts: until ``until``, or for ever if None."""

    event_type = "users.block.added"

    user_id: str  # who blocks
    blocked_user_id: str
    until: datetime | None = None
    # The pair's event number (users_block_versions): a consumer ignores an event older than
    # one it has applied, so a late unblock never lifts a newer block. 0 before versions.
    version: int = 0


class BlockRemoved(Event):
    event_type = "users.block.removed"

    user_id: str
    blocked_user_id: str
    version: int = 0  # as BlockAdded's


class ContactDetails(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    email: str
    phone: str | None = None


class ContactConfirmed(Event):
    """The contact followed their link: from now on they receive the user's alerts.

    Published again whenever a confirmed contact's details change.
    """

    event_type = "users.contact.confirmed"

    user_id: str
    contact_id: str
    sealed_details: str  # ContactDetails, sealed: see the module's docstring
    # The contact's state number (users_emergency_contacts.version): a consumer ignores an
    # event older than one it has applied. 0 in events published before versions existed.
    version: int = 0

    @staticmethod
    def seal(cipher: FieldCipher, details: ContactDetails) -> str:
        return cipher.encrypt(details.model_dump_json())

    def open_details(self, cipher: FieldCipher) -> ContactDetails:
        return ContactDetails.model_validate_json(cipher.decrypt(self.sealed_details))


class ContactRemoved(Event):
    """No longer receives alerts: deleted, or its address changed and awaits confirmation."""

    event_type = "users.contact.removed"

    user_id: str
    contact_id: str
    version: int = 0  # as ContactConfirmed's; a removal is never undone by an older event


class UserDeactivated(Event):
    """Hidden everywhere until reactivated; nothing is erased."""

    event_type = "users.user.deactivated"

    user_id: str


class UserReactivated(Event):
    event_type = "users.user.reactivated"

    user_id: str


class UserDeleted(Event):
    """Erase everything that names this user. Every service honours it, idempotently."""

    event_type = "users.user.deleted"

    user_id: str

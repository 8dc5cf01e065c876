"""Request and response bodies of a user's contacts and phones as safety knows them."""

from __future__ import annotations

from pydantic import Field

from disco.platform.wire import ApiModel, RequestModel

__all__ = ["DeviceIn", "SafetyContact", "SafetyContacts"]


class SafetyContact(ApiModel):
    id: str
    name: str
    email: str
    phone: str | None


class SafetyContacts(ApiModel):
    """Who the caller's alerts and check-in escalations go to, as safety knows them now."""

    contacts: list[SafetyContact]


class DeviceIn(RequestModel):
    push_token: str = Field(min_length=1, max_length=4096)

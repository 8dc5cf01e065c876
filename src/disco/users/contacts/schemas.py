"""Request and response models of emergency contacts (camelCase on the wire)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import EmailStr, Field, field_validator

from disco.contracts.events.users import ContactDetails
from disco.platform.wire import ApiModel, RequestModel, not_nullable
from disco.users.contacts.repository import ContactRow
from disco.users.schemas import Name, OptionalName

_PHONE = re.compile(r"^\+?[0-9][0-9 ()./\-]{5,24}$")


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    if not _PHONE.match(value):
        raise ValueError("A phone number has digits, spaces and an optional leading +.")
    return ("+" if value.startswith("+") else "") + re.sub(r"\D", "", value)


class ContactIn(RequestModel):
    """The confirmation link is mailed, so an email address is required."""

    name: str = Name
    email: EmailStr = Field(max_length=320)
    phone: str | None = Field(None, max_length=25)

    @field_validator("phone")
    @classmethod
    def _phone_number(cls, value: str | None) -> str | None:
        return _phone(value)


class ContactPatch(RequestModel):
    """Fields left out stay as they are; a null phone removes it, a null name or email is
    refused."""

    name: str | None = OptionalName
    email: EmailStr | None = Field(None, max_length=320, json_schema_extra=not_nullable)
    phone: str | None = Field(None, max_length=25)

    @field_validator("phone")
    @classmethod
    def _phone_number(cls, value: str | None) -> str | None:
        return _phone(value)

    @field_validator("name", "email")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class Contact(ApiModel):
    id: str
    name: str
    email: str
    phone: str | None
    status: Literal["pending", "confirmed"]
    created_at: datetime

    @classmethod
    def of(cls, row: ContactRow, details: ContactDetails) -> Contact:
        return cls(
            id=row.id,
            name=details.name,
            email=details.email,
            phone=details.phone,
            status="confirmed" if row.confirmed_at else "pending",
            created_at=row.created_at,
        )


class Contacts(ApiModel):
    contacts: list[Contact]


class ContactConfirmation(ApiModel):
    status: str = "confirmed"
    message: str

"""Request and response models of accounts (camelCase on the wire)."""

from __future__ import annotations

from typing import Annotated

from pydantic import EmailStr, Field

from disco.auth.accounts.repository import UserRow
from disco.auth.sessions.schemas import Password, Token
from disco.platform.text import one_line
from disco.platform.wire import ApiModel, RequestModel

__all__ = ["Accepted", "Me", "ResetPassword", "ResetRequest", "SignupRequest", "TokenRequest"]

Name = Field(min_length=1, max_length=100)


class SignupRequest(RequestModel):
    email: EmailStr = Field(max_length=320)
    password: Password
    # One line each: a name goes into mail subjects.
    first_name: Annotated[str, one_line] = Name
    last_name: Annotated[str, one_line] = Name


class TokenRequest(RequestModel):
    token: str = Token


class ResetRequest(RequestModel):
    email: EmailStr = Field(max_length=320)


class ResetPassword(RequestModel):
    token: str = Token
    password: Password


class Me(ApiModel):
    id: str
    email: str
    name: str
    first_name: str
    last_name: str
    email_verified: bool
    roles: list[str]
    two_factor_enabled: bool

    @classmethod
    def of(cls, user: UserRow) -> Me:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            first_name=user.first_name,
            last_name=user.last_name,
            email_verified=user.email_verified,
            roles=list(user.roles),
            two_factor_enabled=user.totp_enabled,
        )


class Accepted(ApiModel):
    status: str = "accepted"

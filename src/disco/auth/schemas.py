"""Request and response models of the auth API (camelCase on the wire)."""

from __future__ import annotations

from pydantic import EmailStr, Field

from disco.auth.repository import UserRow
from disco.auth.service import Issued
from disco.platform.api import ApiModel, RequestModel

# Generous bounds: the policy in passwords.py gives the precise, friendly message.
Password = Field(min_length=1, max_length=1024)
Name = Field(min_length=1, max_length=100)
Token = Field(min_length=1, max_length=512)


class SignupRequest(RequestModel):
    email: EmailStr = Field(max_length=320)
    password: str = Password
    first_name: str = Name
    last_name: str = Name


class LoginRequest(RequestModel):
    email: EmailStr = Field(max_length=320)
    password: str = Password


class RefreshRequest(RequestModel):
    refresh_token: str = Token


class TokenRequest(RequestModel):
    token: str = Token


class ResetRequest(RequestModel):
    email: EmailStr = Field(max_length=320)


class ResetPassword(RequestModel):
    token: str = Token
    password: str = Password


class UserSummary(ApiModel):
    id: str
    email: str
    name: str


class TokenPair(ApiModel):
    token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int
    user: UserSummary

    @classmethod
    def of(cls, issued: Issued) -> TokenPair:
        user = issued.user
        return cls(
            token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_in=issued.expires_in,
            user=UserSummary(id=user.id, email=user.email, name=user.name),
        )


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


class Jwk(ApiModel):
    kty: str
    crv: str
    x: str
    kid: str
    alg: str
    use: str


class Jwks(ApiModel):
    keys: list[Jwk]


class DisableRequest(RequestModel):
    reason: str = Field(min_length=1, max_length=200)

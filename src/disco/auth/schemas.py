"""Request and response models of the auth API (camelCase on the wire)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints

from disco.auth.repository import UserRow
from disco.auth.service import Issued, MfaChallenge, TotpSetup
from disco.platform.api import ApiModel, RequestModel
from disco.platform.text import one_line

# Generous bounds: the policy in passwords.py gives the precise, friendly message. A password is
# used as typed (ASVS 5.0 §6.2): request models strip other strings, never this one.
Password = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=1024)]
Name = Field(min_length=1, max_length=100)
Token = Field(min_length=1, max_length=512)


class SignupRequest(RequestModel):
    email: EmailStr = Field(max_length=320)
    password: Password
    # One line each: a name goes into mail subjects.
    first_name: Annotated[str, one_line] = Name
    last_name: Annotated[str, one_line] = Name


# What a successful sign-in handed this device (TokenPair.deviceToken); null or left out: a
# device the account does not know.
DeviceToken = Field(None, max_length=256, pattern=r"^[A-Za-z0-9_.-]+$")


class LoginRequest(RequestModel):
    email: EmailStr = Field(max_length=320)
    password: Password
    device_token: str | None = DeviceToken


class RefreshRequest(RequestModel):
    refresh_token: str = Token


class TokenRequest(RequestModel):
    token: str = Token


class ResetRequest(RequestModel):
    email: EmailStr = Field(max_length=320)


class ResetPassword(RequestModel):
    token: str = Token
    password: Password


class CodeRequest(RequestModel):
    code: str = Field(min_length=6, max_length=64)


class MfaVerifyRequest(RequestModel):
    mfa_token: str = Token
    code: str = Field(min_length=6, max_length=64)


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
    # After a sign-in (not a refresh): keep it and send it with the next login from this
    # device, which is then never held up by other people's failed attempts on the account.
    device_token: str | None = None

    @classmethod
    def of(cls, issued: Issued) -> TokenPair:
        user = issued.user
        return cls(
            token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_in=issued.expires_in,
            user=UserSummary(id=user.id, email=user.email, name=user.name),
            device_token=issued.device_token,
        )


class MfaRequired(ApiModel):
    """Login's answer when two-factor is on: send ``mfaToken`` and a code to ``/2fa/verify``."""

    mfa_required: Literal[True] = True
    mfa_token: str
    expires_in: int

    @classmethod
    def of(cls, challenge: MfaChallenge) -> MfaRequired:
        return cls(mfa_token=challenge.mfa_token, expires_in=challenge.expires_in)


class TwoFactorSetup(ApiModel):
    secret: str
    otpauth_uri: str

    @classmethod
    def of(cls, setup: TotpSetup) -> TwoFactorSetup:
        return cls(secret=setup.secret, otpauth_uri=setup.otpauth_uri)


class RecoveryCodes(ApiModel):
    recovery_codes: list[str]


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


# Roles the platform knows; a token carries them, services decide what each allows.
Role = Literal["moderator"]


class RoleChange(RequestModel):
    email: str = Field(min_length=3, max_length=320)
    role: Role
    granted: bool = True

"""Request and response models of sign-in, refresh and the published keys (camelCase on the
wire)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints

from disco.auth.sessions.service import Issued, MfaChallenge
from disco.platform.wire import ApiModel, RequestModel

__all__ = [
    "Jwk",
    "Jwks",
    "LoginRequest",
    "MfaRequired",
    "Password",
    "RefreshRequest",
    "Token",
    "TokenPair",
    "UserSummary",
]

# Generous bounds: the policy in passwords.py gives the precise, friendly message. A password is
# used as typed (ASVS 5.0 §6.2): request models strip other strings, never this one.
Password = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=1024)]
Token = Field(min_length=1, max_length=512)
# What a successful sign-in handed this device (TokenPair.deviceToken); null or left out: a
# device the account does not know.
DeviceToken = Field(None, max_length=256, pattern=r"^[A-Za-z0-9_.-]+$")


class LoginRequest(RequestModel):
    email: EmailStr = Field(max_length=320)
    password: Password
    device_token: str | None = DeviceToken


class RefreshRequest(RequestModel):
    refresh_token: str = Token


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

    @staticmethod
    def or_tokens(outcome: Issued | MfaChallenge) -> TokenPair | MfaRequired:
        """A sign-in's answer: the token pair, or the challenge of its second step."""
        if isinstance(outcome, MfaChallenge):
            return MfaRequired.of(outcome)
        return TokenPair.of(outcome)


class Jwk(ApiModel):
    kty: str
    crv: str
    x: str
    kid: str
    alg: str
    use: str


class Jwks(ApiModel):
    keys: list[Jwk]

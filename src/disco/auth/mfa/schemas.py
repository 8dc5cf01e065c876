"""Request and response models of two-factor sign-in (camelCase on the wire)."""

from __future__ import annotations

from pydantic import Field

from disco.auth.mfa.service import TotpSetup
from disco.auth.sessions.schemas import Token
from disco.platform.wire import ApiModel, RequestModel

__all__ = ["CodeRequest", "MfaVerifyRequest", "RecoveryCodes", "TwoFactorSetup"]

Code = Field(min_length=6, max_length=64)


class CodeRequest(RequestModel):
    code: str = Code


class MfaVerifyRequest(RequestModel):
    mfa_token: str = Token
    code: str = Code


class TwoFactorSetup(ApiModel):
    secret: str
    otpauth_uri: str

    @classmethod
    def of(cls, setup: TotpSetup) -> TwoFactorSetup:
        return cls(secret=setup.secret, otpauth_uri=setup.otpauth_uri)


class RecoveryCodes(ApiModel):
    recovery_codes: list[str]

"""Two-factor authentication rules: TOTP (RFC 6238) and recovery codes. Pure; no I/O.

TOTP secrets are 160 random bits; a code is checked against the current 30-second step and
one step either side (clock drift), and the step it matched is returned so the caller can
refuse it a second time. Recovery codes carry 120 random bits each, so a plain SHA-256 is a
sound way to store them (ASVS 5.0 §6.5: 112 bits or more need no slow hash).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp

__all__ = [
    "RECOVERY_CODE_COUNT",
    "is_totp_code",
    "matching_step",
    "new_recovery_codes",
    "new_totp_secret",
    "otpauth_uri",
    "recovery_code_hash",
]

ISSUER = "Disco"
RECOVERY_CODE_COUNT = 10
_DRIFT_STEPS = 1
_TOTP_CODE = re.compile(r"[0-9]{6}")  # not \d, which takes any script's digits


def new_totp_secret() -> str:
    return pyotp.random_base32()


def otpauth_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def is_totp_code(code: str) -> bool:
    return _TOTP_CODE.fullmatch(code.replace(" ", "")) is not None


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step ``code`` is valid for at ``now`` (give or take one step), or None."""
    code = code.replace(" ", "")
    if _TOTP_CODE.fullmatch(code) is None:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - _DRIFT_STEPS, current + _DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Codes like ``k3vq7m-2xhf4a-...``: 24 base32 characters in groups, easy to copy."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(15)).decode().lower()
        codes.append("-".join(raw[i : i + 6] for i in range(0, len(raw), 6)))
    return codes


def recovery_code_hash(code: str) -> str:
    """Hash of the code as typed, forgiving case, spaces and dashes."""
    normalised = re.sub(r"[\s-]+", "", code).lower()
    return hashlib.sha256(normalised.encode()).hexdigest()

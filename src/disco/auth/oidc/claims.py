"""What an OpenID provider's answer says: the ID token, verified (OpenID Connect Core 1.0,
§3.1.3.7), and the email address and names read from its claims. Pure; no I/O."""

from __future__ import annotations

from typing import Any

from joserfc import jwt
from joserfc.errors import InvalidClaimError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from pydantic import EmailStr, TypeAdapter, ValidationError

__all__ = ["ID_TOKEN_ALGORITHMS", "email_claim", "name_claims", "verify_id_token"]

CLOCK_SKEW_SECONDS = 60
# Asymmetric algorithms only: an HS256 ID token would be signed with our own client secret.
ID_TOKEN_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "Ed25519",
    "EdDSA",
)
_EMAIL = TypeAdapter(EmailStr)


def verify_id_token(
    id_token: str, keys: KeySet, *, issuer: str, client_id: str, nonce: str, now: int
) -> dict[str, Any]:
    """The claims of an ID token signed with one of ``keys`` and meant for this client, in this
    sign-in, now (OpenID Connect Core 1.0, §3.1.3.7). Raises a ``JoseError`` otherwise."""
    decoded = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
    claims: dict[str, Any] = decoded.claims
    JWTClaimsRegistry(
        now=now,
        leeway=CLOCK_SKEW_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    ).validate(claims)
    audience, azp = claims["aud"], claims.get("azp")
    if (azp is not None or (isinstance(audience, list) and len(audience) > 1)) and azp != client_id:
        raise InvalidClaimError("azp")
    if not isinstance(claims["sub"], str) or len(claims["sub"]) > 255:
        raise InvalidClaimError("sub")
    return claims


def email_claim(value: Any) -> str | None:
    """The provider's ``email`` claim, lower-cased, if it is an address at all."""
    if not isinstance(value, str) or len(value) > 320:
        return None
    try:
        return str(_EMAIL.validate_python(value)).lower()
    except ValidationError:
        return None


def name_claims(claims: dict[str, Any], email: str) -> tuple[str, str]:
    """First and last name: given and family names, else ``name`` split once, else the
    address's local part; 100 characters each at most."""
    first, last = claims.get("given_name"), claims.get("family_name")
    if not isinstance(first, str) or not first.strip():
        full = claims.get("name")
        parts = full.strip().split(" ", 1) if isinstance(full, str) and full.strip() else []
        first = parts[0] if parts else email.split("@")[0]
        last = parts[1] if len(parts) > 1 else last
    last = last if isinstance(last, str) else ""
    return first.strip()[:100], last.strip()[:100]

"""Ed25519 signing keys: made, rotated and published (JWKS) by the auth service.

A key signs for ``signing_key_rotation_days``; then a new one takes over and the old one stays
in the JWKS until every token it signed has expired. Private keys are stored encrypted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disco.auth.sessions.repository import SessionsRepository
from disco.config import Settings
from disco.platform.clock import Clock
from disco.platform.security import ACCESS_TOKEN_TYPE, ALGORITHM, FieldCipher

__all__ = ["SigningKeys"]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class _SigningKey:
    kid: str
    private: Ed25519PrivateKey


class SigningKeys:
    def __init__(self, settings: Settings, cipher: FieldCipher, clock: Clock) -> None:
        self._settings = settings
        self._cipher = cipher
        self._clock = clock
        self._current: _SigningKey | None = None
        self._jwks: dict[str, Any] = {"keys": []}

    @property
    def jwks(self) -> dict[str, Any]:
        return self._jwks

    async def refresh(self, repo: SessionsRepository, *, force_rotate: bool = False) -> None:
        """Load the published keys; make a new signing key if there is none or it is due."""
        now = self._clock.now()
        if force_rotate:
            await repo.retire_signing_keys(now, now + self._last_token_margin())
        rows = await repo.signing_keys_published(now)
        signing = [r for r in rows if r.retire_at > now]
        if not signing:
            await repo.add_signing_key(**self._new_key(now))
            rows = await repo.signing_keys_published(now)
            signing = [r for r in rows if r.retire_at > now]
        newest = signing[0]
        self._current = _SigningKey(
            kid=newest.kid,
            private=serialization.load_pem_private_key(  # type: ignore[arg-type]
                self._cipher.decrypt(newest.private_key).encode(), password=None
            ),
        )
        self._jwks = {"keys": [r.public_jwk for r in rows]}

    def _new_key(self, now: datetime) -> dict[str, Any]:
        private = Ed25519PrivateKey.generate()
        x = _b64url(
            private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )
        # RFC 7638 thumbprint as the key id.
        thumb = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
        kid = _b64url(hashlib.sha256(thumb.encode()).digest())
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        retire_at = now + timedelta(days=self._settings.signing_key_rotation_days)
        return {
            "kid": kid,
            "private_key": self._cipher.encrypt(pem),
            "public_jwk": {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": x,
                "kid": kid,
                "alg": ALGORITHM,
                "use": "sig",
            },
            "created_at": now,
            "retire_at": retire_at,
            "expire_at": retire_at + self._last_token_margin(),
        }

    def _last_token_margin(self) -> timedelta:
        """How long a key stays published after it stops signing: its last token's lifetime."""
        return timedelta(seconds=self._settings.access_token_ttl_seconds + 60)

    def sign_access_token(self, user_id: str, session_id: str, roles: tuple[str, ...]) -> str:
        now = self._clock.timestamp()
        claims: dict[str, Any] = {
            "iss": self._settings.jwt_issuer,
            "aud": self._settings.jwt_audience,
            "sub": user_id,
            "sid": session_id,
            # Millisecond precision, so a revocation mark set at time T ends tokens issued up to T
            # and spares one issued a moment later (a login right after a password reset).
            "iat": round(now, 3),
            "exp": int(now) + self._settings.access_token_ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        if roles:
            claims["roles"] = list(roles)
        return self.sign(claims)

    def sign(self, claims: dict[str, Any], *, typ: str = ACCESS_TOKEN_TYPE) -> str:
        """A JWT of ``claims`` under the current key (the tests forge bad tokens with it too)."""
        if self._current is None:
            raise RuntimeError("signing keys not loaded")
        return jwt.encode(
            claims,
            self._current.private,
            algorithm=ALGORITHM,
            headers={"kid": self._current.kid, "typ": typ},
        )

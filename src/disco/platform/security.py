"""Access-token verification against the auth service's JWKS, revocation, field encryption.

Access tokens are EdDSA (Ed25519) JWTs, header ``typ: at+jwt`` (RFC 9068). One algorithm is
pinned: a token naming any other is refused before its signature is looked at. Logout and
account disabling must end live access tokens too, so every verification also consults the
revocation marks the auth service leaves in the KV store (shared by every process).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from disco.platform.errors import Unauthorized, Unavailable
from disco.platform.kv import KeyValue

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "ALGORITHM",
    "FieldCipher",
    "Principal",
    "TokenVerifier",
    "declare_marks_complete",
    "marks_complete",
    "revoke_session",
    "revoke_user_tokens",
]

ALGORITHM = "EdDSA"
ACCESS_TOKEN_TYPE = "at+jwt"
_LEEWAY_SECONDS = 5
_VERIFIED_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    session_id: str
    roles: tuple[str, ...]
    expires_at: float

    @property
    def is_moderator(self) -> bool:
        return "moderator" in self.roles


def _session_mark(session_id: str) -> str:
    return f"revoked:session:{session_id}"


def _user_mark(user_id: str) -> str:
    return f"revoked:user:{user_id}"


# Present while the store holds every revocation mark: auth sets it once it has written them
# all from its database (at start, and again whenever the key is gone). A store restarted
# without persistence (Redis holds no discovery data on disk, by design) loses the marks and
# this key with them; until auth restores both, access tokens are refused with a 503 rather
# than let a logged-out token back in.
_MARKS_COMPLETE = "revoked:complete"


async def marks_complete(kv: KeyValue) -> bool:
    return await kv.get(_MARKS_COMPLETE) is not None


async def declare_marks_complete(kv: KeyValue) -> None:
    await kv.set(_MARKS_COMPLETE, "1")


async def revoke_session(kv: KeyValue, session_id: str, ttl: float) -> None:
    """Every access token of this session is refused from now on (``ttl`` = their lifetime)."""
    await kv.set(_session_mark(session_id), "1", ttl=ttl)


async def revoke_user_tokens(kv: KeyValue, user_id: str, issued_before: float, ttl: float) -> None:
    """Every access token of this user issued up to ``issued_before`` is refused."""
    await kv.set(_user_mark(user_id), str(issued_before), ttl=ttl)


class TokenVerifier:
    def __init__(
        self,
        *,
        load_jwks: Callable[[], Awaitable[dict[str, Any]]],
        kv: KeyValue,
        issuer: str,
        audience: str,
        refresh_interval: float = 300.0,
    ) -> None:
        self._load_jwks = load_jwks
        self._kv = kv
        self._issuer = issuer
        self._audience = audience
        self._keys: dict[str, Any] = {}
        self._loaded_at = 0.0
        self._refresh_interval = refresh_interval
        self._lock = asyncio.Lock()
        # Claims of tokens whose signature and claims already checked out, by the exact token
        # text: in one process the gateway and the service behind it see the same token, and an
        # EdDSA check is most of what verifying costs. Expiry and revocation are still checked
        # on every use.
        self._verified: OrderedDict[str, dict[str, Any]] = OrderedDict()

    async def _key(self, kid: str) -> Any:
        key = self._keys.get(kid)
        stale = time.monotonic() - self._loaded_at > self._refresh_interval
        if key is None or stale:
            async with self._lock:
                # An unknown kid may be a freshly rotated key: reload, but at most every 5 s.
                if (kid not in self._keys and time.monotonic() - self._loaded_at > 5) or stale:
                    jwks = await self._load_jwks()
                    self._keys = {
                        k["kid"]: jwt.PyJWK.from_dict(k, algorithm=ALGORITHM)
                        for k in jwks.get("keys", [])
                        if k.get("kid")
                    }
                    self._loaded_at = time.monotonic()
            key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("The access token is not valid.")
        return key

    async def verify(self, token: str) -> Principal:
        claims = self._verified.get(token)
        if claims is None:
            claims = await self._check_signature_and_claims(token)
            self._verified[token] = claims
            if len(self._verified) > _VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        elif claims["exp"] + _LEEWAY_SECONDS < time.time():
            del self._verified[token]
            raise Unauthorized("The access token has expired.")
        else:
            # Least recently used goes first: a token in use (every open socket's, checked
            # again every few seconds) stays however many others pass through.
            self._verified.move_to_end(token)
        session_mark, user_mark, complete = await self._kv.get_many(
            [_session_mark(claims["sid"]), _user_mark(claims["sub"]), _MARKS_COMPLETE]
        )
        if complete is None:
            raise Unavailable("Sign-in checks are being restored; try again in a moment.")
        if session_mark is not None or (
            user_mark is not None and float(claims["iat"]) <= float(user_mark)
        ):
            raise Unauthorized("The access token has been revoked.")
        return Principal(
            user_id=claims["sub"],
            session_id=claims["sid"],
            roles=tuple(claims.get("roles", ())),
            expires_at=float(claims["exp"]),
        )

    async def _check_signature_and_claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is not valid.") from exc
        if header.get("alg") != ALGORITHM or header.get("typ") != ACCESS_TOKEN_TYPE:
            raise Unauthorized("The access token is not valid.")
        key = await self._key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "sid", "iss", "aud", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The access token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is not valid.") from exc
        return claims


class FieldCipher:
    """Encrypts fields at rest (Fernet: AES-128-CBC + HMAC-SHA256) with a rotatable key ring.

    The first key encrypts; every key decrypts. ``rotate`` re-encrypts a value under the first.
    """

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._newest = Fernet(keys[0].encode())
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        self._raw_keys = [base64.urlsafe_b64decode(k.encode()) for k in keys]

    def derive_secret(self, purpose: str) -> bytes:
        """A 32-byte secret for ``purpose`` (an HMAC key, say), derived from the newest key so
        operators manage one key ring. Rotating the ring changes it."""
        return self.derive_secrets(purpose)[0]

    def derive_secrets(self, purpose: str) -> list[bytes]:
        """The secret for ``purpose`` derived from every key of the ring, newest first: the
        first signs, all of them verify while a rotation rolls out."""
        label = b"disco:" + purpose.encode()
        return [hmac.new(key, label, hashlib.sha256).digest() for key in self._raw_keys]

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("cannot decrypt: no key in the ring fits") from exc

    def rotate(self, ciphertext: str) -> str:
        return self._fernet.rotate(ciphertext.encode()).decode()

    def under_newest_key(self, ciphertext: str) -> bool:
        """True if the first key of the ring reads it (a rotation has nothing to do)."""
        try:
            self._newest.decrypt(ciphertext.encode())
        except InvalidToken:
            return False
        return True

    def encrypt_json(self, value: Any) -> str:
        return self.encrypt(json.dumps(value))

    def decrypt_json(self, ciphertext: str) -> Any:
        return json.loads(self.decrypt(ciphertext))

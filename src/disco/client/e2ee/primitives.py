"""The only cryptographic primitives end-to-end encryption uses, each a thin call into
libsodium (PyNaCl) or ``cryptography``; nothing here is home-made. Every one has a
byte-for-byte equal in a browser: libsodium-wrappers for X25519, Ed25519, the Ed25519 to X25519
conversion, XChaCha20-Poly1305 and ISO/IEC 7816-4 padding; WebCrypto (or libsodium's
``crypto_auth_hmacsha256``) for HMAC-SHA256 and HKDF-SHA256.

Randomness is always passed in (a ``Random``: n -> n bytes), so a test or a test vector can
fix it without reaching into the code; the default is libsodium's ``randombytes_buf``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

import nacl.utils
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl import bindings
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import SigningKey, VerifyKey

from disco.client.e2ee.errors import DecryptionFailed, MalformedMessage, UntrustedKeys

__all__ = [
    "KEY_BYTES",
    "NONCE_BYTES",
    "SIGNATURE_BYTES",
    "TAG_BYTES",
    "DhKeyPair",
    "IdentityKeyPair",
    "Random",
    "aead_decrypt",
    "aead_encrypt",
    "b64",
    "dh",
    "hkdf_sha256",
    "hmac_sha256",
    "identity_public_to_x25519",
    "pad",
    "system_random",
    "unb64",
    "unpad",
    "verify_signature",
]

KEY_BYTES = 32
NONCE_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
TAG_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES  # 16
SIGNATURE_BYTES = 64

Random = Callable[[int], bytes]


def system_random(size: int) -> bytes:
    """libsodium's CSPRNG (``randombytes_buf``)."""
    return nacl.utils.random(size)


@dataclass(frozen=True, slots=True)
class DhKeyPair:
    """An X25519 key pair. The private key is 32 random bytes used as they are: libsodium
    clamps them inside ``crypto_scalarmult``, as every X25519 implementation does."""

    private: bytes
    public: bytes

    @classmethod
    def from_private(cls, private: bytes) -> DhKeyPair:
        if len(private) != KEY_BYTES:
            raise ValueError("an X25519 private key is 32 bytes")
        return cls(private, bindings.crypto_scalarmult_base(private))

    @classmethod
    def generate(cls, random: Random) -> DhKeyPair:
        return cls.from_private(random(KEY_BYTES))


@dataclass(frozen=True, slots=True)
class IdentityKeyPair:
    """A device's long-term Ed25519 key: it signs prekeys, and (converted to X25519 the way
    libsodium does, ``crypto_sign_ed25519_{pk,sk}_to_curve25519``) takes part in X3DH."""

    seed: bytes  # what is stored: libsodium rebuilds the 64-byte secret key from it

    @classmethod
    def generate(cls, random: Random) -> IdentityKeyPair:
        return cls(random(KEY_BYTES))

    @property
    def public(self) -> bytes:
        return bytes(SigningKey(self.seed).verify_key)

    def sign(self, message: bytes) -> bytes:
        return SigningKey(self.seed).sign(message).signature

    def dh_pair(self) -> DhKeyPair:
        public, secret = bindings.crypto_sign_seed_keypair(self.seed)
        return DhKeyPair(
            bindings.crypto_sign_ed25519_sk_to_curve25519(secret),
            bindings.crypto_sign_ed25519_pk_to_curve25519(public),
        )


def identity_public_to_x25519(identity_public: bytes) -> bytes:
    """An Ed25519 identity key as the X25519 public key X3DH uses; UntrustedKeys if it is not
    a valid point (libsodium refuses small-order and non-canonical keys)."""
    try:
        return bindings.crypto_sign_ed25519_pk_to_curve25519(identity_public)
    except (CryptoError, ValueError, TypeError) as exc:
        raise UntrustedKeys("not an Ed25519 identity key") from exc


def verify_signature(identity_public: bytes, message: bytes, signature: bytes) -> None:
    """Ed25519 (RFC 8032, libsodium's strict verification); UntrustedKeys if it fails."""
    try:
        VerifyKey(identity_public).verify(message, signature)
    except (BadSignatureError, CryptoError, ValueError, TypeError) as exc:
        raise UntrustedKeys("the signature does not verify under the identity key") from exc


def dh(pair: DhKeyPair, public: bytes) -> bytes:
    """X25519. A peer key that yields the all-zero secret (a small-order point, which would
    make the "shared" secret public) is refused by libsodium, and here."""
    try:
        return bindings.crypto_scalarmult(pair.private, public)
    except (CryptoError, ValueError, TypeError) as exc:
        raise UntrustedKeys("not a usable X25519 public key") from exc


def hkdf_sha256(ikm: bytes, *, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869), extract then expand."""
    return HKDF(hashes.SHA256(), length, salt, info).derive(ikm)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def aead_encrypt(key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    """XChaCha20-Poly1305 (IETF): ciphertext || 16-byte tag. The 24-byte nonce is random, so
    even a message key used twice (a state restored from a backup) never repeats a nonce."""
    return bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, associated_data, nonce, key
    )


def aead_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, associated_data: bytes) -> bytes:
    try:
        return bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ciphertext, associated_data, nonce, key
        )
    except (CryptoError, ValueError, TypeError) as exc:
        raise DecryptionFailed("the message does not authenticate") from exc


def pad(data: bytes, block: int) -> bytes:
    """ISO/IEC 7816-4 padding to a multiple of ``block`` (libsodium's ``sodium_pad``): hides a
    message's exact length from the server."""
    return bindings.sodium_pad(data, block)


def unpad(data: bytes, block: int) -> bytes:
    try:
        return bindings.sodium_unpad(data, block)
    except (CryptoError, ValueError, TypeError) as exc:
        raise MalformedMessage("bad padding") from exc


def b64(data: bytes) -> str:
    """Standard base64 with padding (RFC 4648 section 4), as the API uses everywhere."""
    return base64.b64encode(data).decode()


def unb64(text: str, size: int | None = None) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedMessage("not base64") from exc
    if size is not None and len(data) != size:
        raise MalformedMessage(f"expected {size} bytes")
    return data

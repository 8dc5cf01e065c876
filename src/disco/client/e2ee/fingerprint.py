"""Safety numbers: what two people compare, in person or by scanning a QR code, to know that
nobody (the server included) sits between them. Derived as Signal's NumericFingerprint does,
over every device's identity key, since a person here has one identity key per device:

    keys_u       = the 32-byte Ed25519 identity keys of all of u's devices, sorted, concatenated
    h_0          = SHA-512(0x00 0x00 || keys_u || UTF-8(user id of u))       (version 0)
    h_(i+1)      = SHA-512(h_i || keys_u),  5200 times                        (slows a search
                                                                               for a collision)
    digits_u     = for each of the first six 5-byte chunks of h_5200, as a big-endian integer
                   mod 100000, five decimal digits: 30 digits
    safety number = digits of the two people, the smaller string first: 60 digits, shown in
                    12 groups of 5
    QR payload   = "disco-sn:1:" || hex(first 32 bytes of h_5200 of each person, the smaller
                   first, joined by ":")

Both people see the same number; it stays the same until one of them adds, removes or
changes a device (then a ``key_changed`` frame tells the other to look again).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FINGERPRINT_ITERATIONS", "SafetyNumber", "fingerprint", "safety_number"]

FINGERPRINT_ITERATIONS = 5200
_VERSION = b"\x00\x00"
_QR_PREFIX = "disco-sn:1:"


def fingerprint(user_id: str, identity_keys: Iterable[bytes]) -> bytes:
    """One person's 64-byte iterated hash."""
    keys = b"".join(sorted(identity_keys))
    if not keys:
        raise ValueError("a fingerprint needs at least one identity key")
    digest = hashlib.sha512(_VERSION + keys + user_id.encode()).digest()
    for _ in range(FINGERPRINT_ITERATIONS):
        digest = hashlib.sha512(digest + keys).digest()
    return digest


def _digits(digest: bytes) -> str:
    return "".join(
        f"{int.from_bytes(digest[i : i + 5], 'big') % 100_000:05d}" for i in range(0, 30, 5)
    )


@dataclass(frozen=True, slots=True)
class SafetyNumber:
    digits: str  # 60 decimal digits
    qr_payload: str

    @property
    def groups(self) -> list[str]:
        return [self.digits[i : i + 5] for i in range(0, 60, 5)]

    def __str__(self) -> str:
        return " ".join(self.groups)

    def matches(self, scanned_qr_payload: str) -> bool:
        """True if the peer's scanned QR code shows this same pair of fingerprints."""
        return hmac.compare_digest(self.qr_payload.encode(), scanned_qr_payload.encode())


def safety_number(
    user_id: str, identity_keys: Iterable[bytes], peer_id: str, peer_identity_keys: Iterable[bytes]
) -> SafetyNumber:
    mine, theirs = fingerprint(user_id, identity_keys), fingerprint(peer_id, peer_identity_keys)
    ordered = sorted([(_digits(mine), mine[:32]), (_digits(theirs), theirs[:32])])
    return SafetyNumber(
        digits=ordered[0][0] + ordered[1][0],
        qr_payload=_QR_PREFIX + ":".join(scannable.hex() for _, scannable in ordered),
    )

"""Password rules (OWASP ASVS 5.0 §6.2) and hashing (argon2id, parameters pinned here).

Rules are about length and known-bad passwords, not composition: at least 8 characters (15
recommended to users), at most 128, any characters, and not one of the 30,000 most common
breached passwords (zxcvbn's list, from real leaks), not built from the account's own email or
name or the word "disco", and not a few characters repeated ("aaaaaaaa", "abababab", all spaces).
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from disco.platform.errors import ValidationFailed

__all__ = ["ARGON2_PARAMETERS", "Passwords", "check_password"]

MIN_LENGTH = 8
MAX_LENGTH = 128
MIN_DISTINCT_CHARACTERS = 4

# OWASP Password Storage Cheat Sheet, first argon2id configuration: 19 MiB, 2 passes, 1 lane.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
ARGON2_PARAMETERS = (
    f"argon2id t={ARGON2_TIME_COST} m={ARGON2_MEMORY_KIB} KiB p={ARGON2_PARALLELISM}, "
    "32-byte hash, 16-byte salt"
)


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def check_password(password: str, *, context: tuple[str, ...] = ()) -> str:
    """Return the password, normalised (NFKC), or raise ``ValidationFailed`` saying why."""
    password = _normalise(password)
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            f"The password must be at least {MIN_LENGTH} characters; 15 or more is better.",
            details=[{"field": "password", "message": "too short"}],
        )
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(
            f"The password must be at most {MAX_LENGTH} characters.",
            details=[{"field": "password", "message": "too long"}],
        )
    lowered = password.lower()
    core = re.sub(r"[\d\W_]+$", "", lowered)  # "dragon2024!" is still "dragon"
    words = {w.lower() for w in (*context, "disco") if len(w) >= 3}
    if (
        lowered in _common()
        or core in _common()
        or core in words
        or lowered in words
        or len(set(lowered)) < MIN_DISTINCT_CHARACTERS
    ):
        raise ValidationFailed(
            "That password is too common or too easy to guess; choose a longer, unusual one.",
            details=[{"field": "password", "message": "too common"}],
        )
    return password


class Passwords:
    """argon2id hashing, off the event loop (each hash takes ~20 ms of a core)."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher(
            time_cost=ARGON2_TIME_COST,
            memory_cost=ARGON2_MEMORY_KIB,
            parallelism=ARGON2_PARALLELISM,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # Verified against when an account does not exist, so timing does not tell.
        self._dummy = self._hasher.hash("no such account, but take the same time")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, _normalise(password))

    async def verify(self, password_hash: str | None, password: str) -> bool:
        target = password_hash or self._dummy

        def check() -> bool:
            try:
                return self._hasher.verify(target, _normalise(password))
            except (VerificationError, InvalidHashError):
                return False

        ok = await asyncio.to_thread(check)
        return ok and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

"""Positions as safety keeps them: an alert's trail and a check-in's last place, each point
sealed with the field cipher, never stored in clear."""

from __future__ import annotations

from disco.platform.security import FieldCipher
from disco.safety.schemas import Location, LocationIn

__all__ = ["open_location", "seal_location"]


def seal_location(cipher: FieldCipher, location: LocationIn) -> str:
    return cipher.encrypt_json(location.model_dump())


def open_location(cipher: FieldCipher, sealed: str) -> Location:
    return Location.model_validate(cipher.decrypt_json(sealed))

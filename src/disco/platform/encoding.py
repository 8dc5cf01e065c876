"""Binary values on the wire: strict base64 (RFC 4648, padded), checked where a request is
parsed so a malformed value is a 422 naming its field, never an error deep in a service."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["Base64", "base64_of", "decoded_size"]


def decoded_size(text: str) -> int:
    """The byte length of strict base64 ``text``; ValueError if it is not base64."""
    try:
        return len(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("must be base64 (RFC 4648, with padding)") from exc


def base64_of(size: int) -> AfterValidator:
    """A validator: base64 of exactly ``size`` bytes."""

    def check(value: str) -> str:
        if decoded_size(value) != size:
            raise ValueError(f"must be {size} bytes, base64")
        return value

    return AfterValidator(check)


def _any_base64(value: str) -> str:
    decoded_size(value)
    return value


Base64 = Annotated[str, AfterValidator(_any_base64)]
"""Base64 of any length (bound it with ``Field(max_length=...)``)."""

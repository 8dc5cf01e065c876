"""Text fields on the wire that must stay one line (a name goes into mail subjects)."""

from __future__ import annotations

from pydantic import AfterValidator

__all__ = ["one_line"]


def _one_line(value: str) -> str:
    # NUL is left to RequestModel, which names it; every other control character is refused
    # here, line breaks and tabs included.
    if any((c < " " and c != "\x00") or c == "\x7f" for c in value):
        raise ValueError("must be one line, without control characters")
    return value


one_line = AfterValidator(_one_line)
"""``Annotated[str, Field(...), one_line]``."""

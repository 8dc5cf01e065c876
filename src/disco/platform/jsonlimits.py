"""How deep a JSON document may nest, checked on the raw text before anything parses it.

Python's parser recurses once per level: a small document nested a few thousand levels deep
raises ``RecursionError`` in ``json.loads`` (or later, in whatever walks the result), which is a
500 or a dropped socket rather than an answer. No request of the API nests more than a handful
of levels, so anything past ``MAX_JSON_DEPTH`` is refused unread.
"""

from __future__ import annotations

import re

__all__ = ["MAX_JSON_DEPTH", "deeper_than", "too_deep_message"]

MAX_JSON_DEPTH = 32

# A string (its escapes included; an unterminated one runs to the end, so no text is scanned
# twice) or one bracket. Possessive quantifiers keep the scan linear whatever the input.
_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)
_OPENERS = frozenset(b"[{")


def deeper_than(document: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if ``document`` opens more than ``limit`` arrays or objects inside one another.

    Brackets inside strings do not count. Nothing is parsed; malformed text is left for the
    parser to refuse.
    """
    if isinstance(document, str):
        if document.count("[") + document.count("{") <= limit:
            return False  # cannot be deeper than it has brackets: the usual case, at C speed
        raw = document.encode("utf-8", "surrogatepass")
    else:
        raw = document
        if raw.count(b"[") + raw.count(b"{") <= limit:
            return False
    depth = 0
    for match in _TOKEN.finditer(raw):
        first = raw[match.start()]
        if first in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif first != ord('"'):
            depth = max(0, depth - 1)
    return False


def too_deep_message(limit: int = MAX_JSON_DEPTH) -> str:
    return f"The JSON nests deeper than {limit} levels; no request needs that many."

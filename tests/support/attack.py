"""What an attacker sends that a well-behaved HTTP client would not: raw request targets.

httpx (like browsers and curl without ``--path-as-is``) removes dot segments before sending, so
the traversal attacks are written to the socket by hand.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["TRAVERSALS", "RawAnswer", "raw_request"]

# Ways to write "../../internal/<rest>" after "/v1/<area>/" that some hop might collapse.
TRAVERSALS = [
    "../../internal/{rest}",
    "%2e%2e/%2e%2e/internal/{rest}",
    "%2E%2E/%2E%2E/internal/{rest}",
    ".%2e/.%2e/internal/{rest}",
    "..%2f..%2finternal%2f{rest_encoded}",
    "%2e%2e%2f%2e%2e%2finternal/{rest}",
    "%252e%252e/%252e%252e/internal/{rest}",
    "..;/..;/internal/{rest}",
    "..%3b/..%3b/internal/{rest}",
    "..\\..\\internal/{rest}",
    "..%5c..%5cinternal/{rest}",
    "./../.././internal/{rest}",
    "x/../../../internal/{rest}",
    "/../../internal/{rest}",
]


@dataclass
class RawAnswer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def raw_request(
    base_url: str,
    method: str,
    target: str,
    *,
    token: str | None = None,
    body: dict[str, Any] | None = None,
) -> RawAnswer:
    """Send ``target`` exactly as written, in one HTTP/1.1 request on a fresh connection."""
    where = urlsplit(base_url)
    assert where.hostname is not None and where.port is not None
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    try:
        payload = json.dumps(body).encode() if body is not None else b""
        lines = [
            f"{method} {target} HTTP/1.1",
            f"Host: {where.hostname}:{where.port}",
            "Connection: close",
            f"Content-Length: {len(payload)}",
        ]
        if body is not None:
            lines.append("Content-Type: application/json")
        if token is not None:
            lines.append(f"Authorization: Bearer {token}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=30)
    finally:
        writer.close()
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        rest = _unchunk(rest)
    return RawAnswer(status, rest)


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2 :]
    return out

"""The gateway's hop to a service in another process (``disco cluster``), over aiohttp.

The request goes as the gateway routed it: its canonical path, percent-encoded once and never
re-read (``encoded=True``), and the headers ``proxy.py`` chose. The answer, redirects included,
comes back as the service sent it, minus the headers that describe one hop: a small body read
whole (most answers), a large one passed on as it arrives. A connection that cannot be made is
tried twice more (nothing was sent, so nothing can happen twice); any other failure is a 503,
as a service that is down is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator

import aiohttp
from fastapi.responses import Response, StreamingResponse
from yarl import URL

from disco.platform.errors import Unavailable, ValidationFailed

__all__ = ["BUFFERED_BYTES", "answer_of", "call_remote", "open_remote", "target_url"]

log = logging.getLogger(__name__)

# Waits before the second and third try of a connection that could not be made (a service
# restarting, say), as httpx's transport retried.
_CONNECT_RETRY_DELAYS = (0.0, 0.5)
# Bodies up to this size are read whole, both ways (the common case, cheapest); larger ones,
# or of unknown size, stream.
BUFFERED_BYTES = 64 * 1024
_CHUNK_BYTES = 64 * 1024


def target_url(base: str, target: str, query: bytes) -> URL:
    """``base`` (the service's URL, perhaps with a path of its own) + the canonical ``target``
    (already percent-encoded) + the query, read as is; ValidationFailed if the HTTP client would
    send another path than the one routed."""
    base = base.rstrip("/")
    url = URL(base + target + (f"?{query.decode('latin-1')}" if query else ""), encoded=True)
    if url.raw_path != URL(base, encoded=True).raw_path.rstrip("/") + target:
        raise ValidationFailed("The path is not in canonical form.")
    return url


async def open_remote(
    session: aiohttp.ClientSession,
    service: str,
    method: str,
    url: URL,
    headers: list[tuple[str, str]],
    body: bytes | AsyncIterable[bytes],
) -> aiohttp.ClientResponse:
    """The answer's head; its body is still to be read (``answer_of`` does, and releases it).
    Unavailable if it could not be had."""
    failure: Exception | None = None
    for delay in (0.0, *_CONNECT_RETRY_DELAYS):
        if failure is not None:
            await asyncio.sleep(delay)
        try:
            # A redirect is the client's to follow (an OpenID sign-in's, with its cookie),
            # never the gateway's: it would carry the service credential elsewhere.
            return await session.request(
                method, url, headers=headers, data=body, allow_redirects=False
            )
        except aiohttp.ClientConnectorError as exc:  # nothing was sent: try again
            failure = exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            failure = exc
            break
    log.warning("%s unreachable: %s", service, failure)
    raise Unavailable(f"The {service} service is unavailable; try again shortly.") from failure


async def answer_of(upstream: aiohttp.ClientResponse, dropped: frozenset[bytes]) -> Response:
    """The client's answer: the service's, minus the ``dropped`` headers (lower case)."""
    headers = [(k, v) for k, v in upstream.raw_headers if k.lower() not in dropped]
    size = upstream.headers.get("content-length")
    response: Response
    if size is not None and size.isdigit() and int(size) <= BUFFERED_BYTES:
        try:
            content = await upstream.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unavailable("The service broke off its answer; try again shortly.") from exc
        finally:
            upstream.release()
        response = Response(content=content, status_code=upstream.status)
    else:  # large (an attachment) or of unknown size: passed on as it comes
        response = StreamingResponse(_passed_on(upstream), status_code=upstream.status)
    response.raw_headers = headers
    return response


async def _passed_on(upstream: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """The answer's body as it comes; its connection goes back to the pool however the
    passing ends (done, the client gone, the service breaking off)."""
    try:
        async for chunk in upstream.content.iter_chunked(_CHUNK_BYTES):
            yield chunk
    finally:
        upstream.release()


async def call_remote(
    session: aiohttp.ClientSession,
    service: str,
    method: str,
    url: URL,
    headers: list[tuple[str, str]],
    body: bytes,
) -> tuple[int, bytes]:
    """The status and body of a whole answer, read."""
    upstream = await open_remote(session, service, method, url, headers, body)
    try:
        return upstream.status, await upstream.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise Unavailable(f"The {service} service broke off its answer.") from exc
    finally:
        upstream.release()

"""Forwarding a client's request to the service that owns it, and nothing else.

The gateway decides where a request goes from its path, so the path it decides on must be the
path it forwards. HTTP clients and servers may rewrite a path on the way (a client may remove
dot segments, a server may decode ``%2f``), so a path is first brought to one canonical
spelling: a path that any hop could read differently (dot segments in any spelling, encoded
slashes or backslashes, ``%25`` that would decode twice, ``;`` parameters, empty segments) is
refused before routing, and the canonical path is re-encoded and, on the network hop, checked
once more against what the HTTP client will send (``remote.target_url``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import Response
from starlette.requests import ClientDisconnect

from disco.gateway.frames import FrameRoute
from disco.gateway.inprocess import InProcessAnswer
from disco.gateway.remote import BUFFERED_BYTES, answer_of, call_remote, open_remote, target_url
from disco.platform.errors import (
    DiscoError,
    NotFound,
    PayloadTooLarge,
    Unavailable,
    ValidationFailed,
)
from disco.platform.http import ServiceDirectory
from disco.platform.http_errors import unexpected_error
from disco.platform.observability import request_id_var
from disco.platform.security import Principal
from disco.platform.service_auth import CLIENT_IP_HEADER, SERVICE_TOKEN_HEADER

__all__ = ["AREAS", "ServiceProxy", "canonical_path", "forwardable", "owner_of"]

# The first path segment after /v1 names the area; each area belongs to one service.
AREAS: dict[str, str] = {
    "auth": "auth",
    "users": "users",
    "discovery": "match",
    "location": "match",
    "connections": "match",
    "matches": "match",
    "events": "match",
    "safety": "safety",
    "chats": "chat",
    "keys": "chat",
}

# Characters that, once percent-decoded, could make another hop see another path.
_AMBIGUOUS = ("/", "\\", "%", ";")


def canonical_path(raw_path: str) -> str:
    """The decoded path of ``raw_path`` (as received, still percent-encoded), or
    ValidationFailed if any hop could read it as another path."""
    segments = raw_path.split("/")
    if segments[0] != "":
        raise _ambiguous()
    decoded = []
    for segment in segments[1:]:
        if ";" in segment or "\\" in segment:
            raise _ambiguous()
        try:
            value = unquote(segment, errors="strict") if "%" in segment else segment
        except UnicodeDecodeError:
            raise _ambiguous() from None
        if value in ("", ".", "..") or any(c in value for c in _AMBIGUOUS):
            raise _ambiguous()
        decoded.append(value)
    return "/" + "/".join(decoded)


def _ambiguous() -> ValidationFailed:
    return ValidationFailed(
        "The path is not in canonical form: no dot segments, empty segments, encoded "
        "separators or ';' parameters.",
        details=[{"field": "path", "message": "not canonical"}],
    )


def owner_of(path: str) -> str | None:
    """``/v1/auth/me`` -> ``auth``; None for anything no service owns."""
    parts = path.split("/", 3)
    if len(parts) < 3 or parts[1] != "v1":
        return None
    return AREAS.get(parts[2])


# Headers that describe one hop, not the message: never forwarded either way.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
        "x-request-id",
        "x-disco-user",
        CLIENT_IP_HEADER,
        SERVICE_TOKEN_HEADER,
    }
)


# An answer's body is passed on as the service sent it (neither hop decodes it), so its length
# and its encoding still hold.
_DROPPED = frozenset(h.encode() for h in _HOP_BY_HOP - {"content-length", "content-encoding"})


def forwardable(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k.decode("latin-1").lower() not in _HOP_BY_HOP]


class ServiceProxy:
    """Sends requests and frames on to the services behind the gateway."""

    def __init__(self, services: ServiceDirectory) -> None:
        self._services = services

    def running(self, service: str) -> None:
        if not self._services.knows(service):
            raise Unavailable(f"The {service} service is not running here.")

    async def forward(self, request: Request) -> Response:
        """Send the request on to the service that owns its area, and its answer back."""
        raw_path = request.scope.get("raw_path") or quote(request.url.path).encode()
        path = canonical_path(raw_path.decode("latin-1"))
        service = owner_of(path)
        if service is None:
            raise NotFound("No such endpoint.")
        self.running(service)
        # Re-encoded from the canonical segments: what was routed is exactly what is sent.
        target = "/".join(quote(segment, safe="") for segment in path.split("/"))
        query: bytes = request.scope.get("query_string", b"")
        client_ip = request.client.host if request.client else "unknown"
        headers = forwardable(request.headers.raw)
        headers += [
            (CLIENT_IP_HEADER.encode(), client_ip.encode()),
            (b"x-request-id", request_id_var.get().encode()),
            (SERVICE_TOKEN_HEADER.encode(), self._services.credentials.token_for(service).encode()),
        ]
        body = await _body(request)
        app = self._services.app(service)
        if app is not None:
            # In this process: the service's app answers the client directly, no HTTP client
            # in between (it cost more than the gateway's own work). Same request, same answer.
            headers.append((b"host", f"{service}.internal".encode()))
            if isinstance(body, bytes):
                headers.append((b"content-length", str(len(body)).encode()))
            else:
                headers.append((b"transfer-encoding", b"chunked"))
            return InProcessAnswer(app, request, target, query, headers, body, dropped=_DROPPED)
        url = target_url(self._services.url(service), target, query)
        sent = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]
        try:
            upstream = await open_remote(
                self._services.forwarding_session(service), service, request.method, url, sent, body
            )
        except Unavailable:
            if isinstance(body, StreamedBody) and body.refused is not None:
                raise body.refused from None  # the upload broke on our side, not the service's
            raise
        if isinstance(body, StreamedBody) and body.refused is not None:
            upstream.release()
            raise body.refused  # the service answered a body that was cut off
        return await answer_of(upstream, _DROPPED)

    async def relay_frame(
        self,
        route: FrameRoute,
        data: dict[str, Any],
        *,
        principal: Principal,
        token: str,
        client_ip: str,
    ) -> None:
        """``principal``'s frame (sent with ``token``), as the HTTP call its route names;
        raises the service's refusal."""
        path, body = route.target(data)
        direct = self._services.direct(route.service, route.method, path)
        if direct is not None:  # the service runs in this process: no HTTP round trip
            try:
                await direct(principal, body)
            except DiscoError:
                raise
            except Exception as exc:
                # As the service would have answered over HTTP: an error frame, the socket
                # kept (raised on, the exception would have ended it).
                raise unexpected_error(exc) from exc
            return
        self.running(route.service)
        headers = {
            "authorization": f"Bearer {token}",
            CLIENT_IP_HEADER: client_ip,
            "x-request-id": request_id_var.get(),
        }
        if self._services.app(route.service) is not None:  # in this process: its ASGI app
            answer = await self._services.client(route.service).request(
                route.method, path, json=body, headers=headers
            )
            status, content = answer.status_code, answer.content
        else:
            headers[SERVICE_TOKEN_HEADER] = self._services.credentials.token_for(route.service)
            headers["content-type"] = "application/json"
            status, content = await call_remote(
                self._services.forwarding_session(route.service),
                route.service,
                route.method,
                target_url(self._services.url(route.service), path, b""),
                list(headers.items()),
                json.dumps(body).encode(),
            )
        if status >= 400:
            raise _refusal(status, content)


async def _body(request: Request) -> bytes | StreamedBody:
    """A small body read at once (most requests: one hop, no chunking); a large one, or one of
    unknown length, streamed through, so an attachment is never held whole in memory here."""
    length = request.headers.get("content-length")
    if length is None and "transfer-encoding" not in request.headers:
        return b""
    if length is not None and length.isdigit() and int(length) <= BUFFERED_BYTES:
        try:
            return await request.body()
        except ClientDisconnect as exc:
            raise ValidationFailed("The client went away before sending its request.") from exc
    return StreamedBody(request)


class StreamedBody:
    """A request body passed on as it arrives. Past the gateway's body limit, or when the client
    goes away, the stream fails, so the service reading it keeps nothing (an upload is
    discarded, not cut short); the refusal is kept for ``forward`` to answer with, whatever the
    service or the HTTP client made of the break."""

    def __init__(self, request: Request) -> None:
        self._request = request
        self.refused: DiscoError | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._request.stream():
                yield chunk
        except PayloadTooLarge as exc:
            self.refused = exc
            raise
        except ClientDisconnect as exc:  # the caller gave up mid-body; nobody is left to answer
            self.refused = ValidationFailed("The client went away before sending its request.")
            raise self.refused from exc


def _refusal(status: int, content: bytes) -> DiscoError:
    """A service's error answer, as the DiscoError that renders the same."""
    try:
        error = json.loads(content)["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "INTERNAL_ERROR", "The service gave no reason."
    refusal = DiscoError(message)
    refusal.status_code = status
    refusal.code = code
    return refusal

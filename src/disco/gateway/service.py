"""The gateway's rules: where each path and frame goes, which socket gets what."""

from __future__ import annotations

import asyncio
import logging
import re
import string
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import Request
from fastapi.responses import Response
from starlette.requests import ClientDisconnect

from disco import __version__
from disco.platform.context import ServiceContext
from disco.platform.errors import DiscoError, NotFound, Unavailable, ValidationFailed
from disco.platform.observability import request_id_var

__all__ = [
    "AREAS",
    "FRAME_ROUTES",
    "Connection",
    "FrameRate",
    "FrameRoute",
    "Gateway",
    "SocketHub",
    "forwardable",
    "merge_openapi",
    "owner_of",
]

log = logging.getLogger(__name__)

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


def owner_of(path: str) -> str | None:
    """``/v1/auth/me`` -> ``auth``; None for anything no service owns."""
    parts = path.split("/", 3)
    if len(parts) < 3 or parts[1] != "v1":
        return None
    return AREAS.get(parts[2])


@dataclass(eq=False)
class Connection:
    """One open socket: frames for it queue here and a writer task sends them in order."""

    user_id: str
    outbox: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=256)
    )
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, frame: dict[str, Any]) -> bool:
        """Queue a frame; a client too slow to keep up is cut off rather than buffered forever."""
        try:
            self.outbox.put_nowait(frame)
        except asyncio.QueueFull:
            self.closed.set()
            return False
        return True


class SocketHub:
    """The sockets open on this gateway process, by user."""

    def __init__(self) -> None:
        self._by_user: dict[str, set[Connection]] = defaultdict(set)

    def add(self, connection: Connection) -> None:
        self._by_user[connection.user_id].add(connection)

    def remove(self, connection: Connection) -> None:
        sockets = self._by_user.get(connection.user_id)
        if sockets is not None:
            sockets.discard(connection)
            if not sockets:
                del self._by_user[connection.user_id]

    def deliver(self, user_ids: list[str], frame: dict[str, Any]) -> int:
        delivered = 0
        for user_id in user_ids:
            for connection in list(self._by_user.get(user_id, ())):
                delivered += connection.offer(frame)
        return delivered

    @property
    def count(self) -> int:
        return sum(len(s) for s in self._by_user.values())


class FrameRate:
    """Token bucket for the frames a client sends: ``rate`` a second, bursts of twice that.

    Each refused frame is a strike; strikes fade at one a second, so a one-off burst is
    forgiven while a client that keeps flooding runs out of them (``exhausted``).
    """

    def __init__(
        self, rate: float, *, max_strikes: int, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._capacity = rate * 2
        self._tokens = self._capacity
        self._max_strikes = max_strikes
        self._strikes = 0.0
        self._now = monotonic
        self._last = monotonic()

    def allow(self) -> bool:
        now = self._now()
        elapsed, self._last = now - self._last, now
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._strikes = max(0.0, self._strikes - elapsed)
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self._strikes += 1
        return False

    @property
    def exhausted(self) -> bool:
        return self._strikes > self._max_strikes


_PATH_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class FrameRoute:
    """A frame a client may send, as the service's own HTTP endpoint for the same thing.

    ``path`` may name fields of the frame's ``data`` (``{roomId}``); they fill the path and the
    rest of ``data`` is the JSON body. The call carries the socket's access token, so the
    service checks it exactly as it checks the HTTP request.
    """

    service: str
    method: str
    path: str

    def target(self, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The path and body for ``data``; ValidationFailed when a path field is bad."""
        fields = [name for _, name, _, _ in string.Formatter().parse(self.path) if name]
        values = {}
        for name in fields:
            value = data.get(name)
            if not isinstance(value, str) or not _PATH_VALUE.match(value):
                raise ValidationFailed(f'"{name}" must be an id.', details=[{"field": name}])
            values[name] = value
        body = {k: v for k, v in data.items() if k not in values}
        return self.path.format(**values), body


# Client -> server frames besides ``ping`` and ``auth``; API.md: location_update, typing, read.
FRAME_ROUTES: dict[str, FrameRoute] = {
    "location_update": FrameRoute("match", "POST", "/v1/location"),
    "typing": FrameRoute("chat", "POST", "/v1/chats/rooms/{roomId}/typing"),
    "read": FrameRoute("chat", "POST", "/v1/chats/rooms/{roomId}/read"),
}


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
        "x-disco-client-ip",
        "x-disco-user",
    }
)


def forwardable(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k.decode("latin-1").lower() not in _HOP_BY_HOP]


def merge_openapi(
    documents: dict[str, dict[str, Any]], *, title: str, version: str
) -> dict[str, Any]:
    """One OpenAPI document for the whole API from each service's own.

    Schema names are prefixed with their service (``auth_TokenPair``) so two services may each
    have a ``Page`` without one hiding the other.
    """
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "The Disco public API, served by the gateway.",
        },
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
    for service, doc in sorted(documents.items()):
        prefix = f"#/components/schemas/{service}_"
        renamed = _rewrite_refs(doc, "#/components/schemas/", prefix)
        for name, schema in renamed.get("components", {}).get("schemas", {}).items():
            merged["components"]["schemas"][f"{service}_{name}"] = schema
        for path, item in renamed.get("paths", {}).items():
            if path.startswith("/v1/"):
                merged["paths"][path] = item
    return merged


def _rewrite_refs(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                v.replace(old, new, 1)
                if k == "$ref" and isinstance(v, str)
                else _rewrite_refs(v, old, new)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v, old, new) for v in node]
    return node


class Gateway:
    def __init__(self, ctx: ServiceContext) -> None:
        self.settings = ctx.settings
        self.tokens = ctx.tokens
        self.hub = SocketHub()
        self._ctx = ctx
        self._services = ctx.services
        self._openapi: dict[str, Any] | None = None
        self._openapi_lock = asyncio.Lock()

    def services(self) -> list[str]:
        return sorted({s for s in AREAS.values() if self._services.knows(s)})

    def _running(self, service: str) -> None:
        if not self._services.knows(service):
            raise Unavailable(f"The {service} service is not running here.")

    async def forward(self, request: Request) -> Response:
        """Send the request on to the service that owns its area, and its answer back."""
        service = owner_of(request.url.path)
        if service is None:
            raise NotFound("No such endpoint.")
        self._running(service)
        client_ip = request.client.host if request.client else "unknown"
        headers = forwardable(request.headers.raw)
        headers += [
            (b"x-disco-client-ip", client_ip.encode()),
            (b"x-request-id", request_id_var.get().encode()),
        ]
        # The path exactly as the client sent it (still percent-encoded): decoded, a control
        # character in it would make an invalid URL for the hop to the service.
        raw_path = request.scope.get("raw_path") or quote(request.url.path).encode()
        query = request.scope.get("query_string", b"")
        target = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
        try:
            body = await request.body()
        except ClientDisconnect as exc:  # the caller gave up; nobody is left to answer
            raise ValidationFailed("The client went away before sending its request.") from exc
        upstream = await self._call(service, request.method, target, content=body, headers=headers)
        response = Response(content=upstream.content, status_code=upstream.status_code)
        for key, value in forwardable(upstream.headers.raw):
            response.headers.append(key.decode("latin-1"), value.decode("latin-1"))
        return response

    async def relay_frame(
        self, route: FrameRoute, data: dict[str, Any], *, token: str, client_ip: str
    ) -> None:
        """A client's frame, as the HTTP call its route names; raises the service's refusal."""
        path, body = route.target(data)
        direct = self._services.direct(route.service, route.method, path)
        if direct is not None:  # the service runs in this process: no HTTP round trip
            await direct(token, body)
            return
        self._running(route.service)
        upstream = await self._call(
            route.service,
            route.method,
            path,
            json=body,
            headers={
                "authorization": f"Bearer {token}",
                "x-disco-client-ip": client_ip,
                "x-request-id": request_id_var.get(),
            },
        )
        if upstream.status_code >= 400:
            raise _refusal(upstream)

    async def _call(self, service: str, method: str, target: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._services.client(service).request(method, target, **kwargs)
        except httpx.TransportError as exc:
            log.warning("%s unreachable: %s", service, exc)
            raise Unavailable(f"The {service} service is unavailable; try again shortly.") from exc

    def readiness_checks(self) -> dict[str, Any]:
        """What /readyz asks: the shared backends, and every service behind the gateway."""
        checks = {"kv": self._ctx.kv.ping, "bus": self._ctx.bus.ping}
        for service in self.services():
            checks[service] = self._service_ready(service)
        return checks

    def _service_ready(self, service: str) -> Any:
        async def check() -> None:
            response = await self._services.client(service).get("/readyz", timeout=2.0)
            response.raise_for_status()

        return check

    async def openapi(self) -> dict[str, Any]:
        """Every service's document merged; kept once all of them have answered."""
        async with self._openapi_lock:
            if self._openapi is None:
                documents = {}
                for service in self.services():
                    try:
                        response = await self._services.client(service).get("/openapi.json")
                        response.raise_for_status()
                    except httpx.HTTPError as exc:
                        log.warning("no OpenAPI document from %s: %s", service, exc)
                        raise Unavailable(
                            f"The {service} service did not give its API description."
                        ) from exc
                    documents[service] = response.json()
                self._openapi = merge_openapi(documents, title="Disco", version=__version__)
            return self._openapi


def _refusal(response: httpx.Response) -> DiscoError:
    """A service's error answer, as the DiscoError that renders the same."""
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "INTERNAL_ERROR", "The service gave no reason."
    refusal = DiscoError(message)
    refusal.status_code = response.status_code
    refusal.code = code
    return refusal

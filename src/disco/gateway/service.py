"""The gateway's rules: where each path goes, who may call how often, which socket gets what."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import Response

from disco import __version__
from disco.config import Settings
from disco.platform.api import bearer_token
from disco.platform.context import ServiceContext
from disco.platform.errors import NotFound, RateLimited, Unauthorized, Unavailable
from disco.platform.kv import KeyValue
from disco.platform.observability import request_id_var
from disco.platform.security import Principal

__all__ = [
    "AREAS",
    "Connection",
    "FrameRate",
    "Gateway",
    "RateLimit",
    "RateLimiter",
    "SocketHub",
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


@dataclass(frozen=True, slots=True)
class RateLimit:
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimiter:
    """Fixed one-minute windows in the KV store, so every gateway process shares one budget."""

    WINDOW = 60

    def __init__(self, kv: KeyValue, settings: Settings) -> None:
        self._kv = kv
        self._anonymous = settings.rate_limit_anonymous_per_minute
        self._user = settings.rate_limit_user_per_minute

    async def check(self, *, user_id: str | None, client_ip: str) -> RateLimit:
        """Count this request; raise ``RateLimited`` (with the headers) past the budget."""
        if user_id is not None:
            key, limit = f"ratelimit:user:{user_id}", self._user
        else:
            key, limit = f"ratelimit:ip:{client_ip}", self._anonymous
        count, reset = await self._kv.hit(key, self.WINDOW)
        state = RateLimit(limit, max(0, limit - count), max(1, int(reset + 0.999)))
        if count > limit:
            raise RateLimited(
                f"Rate limit of {limit} requests a minute exceeded; retry in "
                f"{state.reset_seconds} s.",
                headers={**state.headers(), "Retry-After": str(state.reset_seconds)},
            )
        return state


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
    """Token bucket for frames a client sends: ``rate`` a second, bursts of twice that."""

    def __init__(self, rate: float) -> None:
        self._rate = rate
        self._capacity = rate * 2
        self._tokens = self._capacity
        self._last = time.monotonic()
        self.strikes = 0

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self.strikes += 1
        return False


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
        self._limiter = RateLimiter(ctx.kv, ctx.settings)
        self._openapi: dict[str, Any] | None = None
        self._openapi_lock = asyncio.Lock()

    def services(self) -> list[str]:
        return sorted({s for s in AREAS.values() if self._services.knows(s)})

    async def forward(self, request: Request) -> Response:
        service = owner_of(request.url.path)
        if service is None or not self._services.knows(service):
            raise NotFound("No such endpoint.")
        client_ip = request.client.host if request.client else "unknown"
        limit = await self._admit(request, client_ip)
        headers = forwardable(request.headers.raw)
        headers += [
            (b"x-disco-client-ip", client_ip.encode()),
            (b"x-request-id", request_id_var.get().encode()),
        ]
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        try:
            upstream = await self._services.client(service).request(
                request.method, target, content=await request.body(), headers=headers
            )
        except httpx.TransportError as exc:
            log.warning("%s unreachable: %s", service, exc)
            raise Unavailable(
                f"The {service} service is unavailable; try again shortly.", headers=limit.headers()
            ) from exc
        response = Response(content=upstream.content, status_code=upstream.status_code)
        for key, value in forwardable(upstream.headers.raw):
            response.headers.append(key.decode("latin-1"), value.decode("latin-1"))
        response.headers.update(limit.headers())
        return response

    async def _admit(self, request: Request, client_ip: str) -> RateLimit:
        """Verify the bearer token if there is one, then count the call against its budget.

        A bad token costs the caller's IP budget, so garbage tokens buy no fresh allowance.
        """
        token = bearer_token(request)
        principal: Principal | None = None
        if token is not None:
            try:
                principal = await self.tokens.verify(token)
            except Unauthorized as exc:
                limit = await self._limiter.check(user_id=None, client_ip=client_ip)
                exc.headers.update(limit.headers())
                raise
        return await self._limiter.check(
            user_id=principal.user_id if principal else None, client_ip=client_ip
        )

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
        async with self._openapi_lock:
            if self._openapi is None:
                documents = {}
                for service in self.services():
                    response = await self._services.client(service).get("/openapi.json")
                    response.raise_for_status()
                    documents[service] = response.json()
                self._openapi = merge_openapi(documents, title="Disco", version=__version__)
            return self._openapi

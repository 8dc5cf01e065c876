"""The gateway's rules: which services it fronts, whether they are ready, the merged API
document. Forwarding is ``proxy.py``, sockets ``hub.py``, client frames ``frames.py``."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from disco import __version__
from disco.gateway.hub import Connection, SocketHub
from disco.gateway.openapi import merge_openapi
from disco.gateway.presence import PresenceAnnouncer
from disco.gateway.proxy import AREAS, ServiceProxy
from disco.platform.context import ServiceContext
from disco.platform.errors import Unavailable

__all__ = ["Gateway"]

log = logging.getLogger(__name__)


class Gateway:
    def __init__(self, ctx: ServiceContext) -> None:
        self.settings = ctx.settings
        self.tokens = ctx.tokens
        self.hub = SocketHub()
        self.presence = PresenceAnnouncer(
            ctx.bus, ctx.clock, self.hub, ctx.settings.presence_renew_seconds
        )
        self._ctx = ctx
        self._services = ctx.services
        self.proxy = ServiceProxy(ctx.services)
        # A client's frame as its route's call (direct in this process, or over HTTP).
        self.relay_frame = self.proxy.relay_frame
        self._openapi: dict[str, Any] | None = None
        self._openapi_lock = asyncio.Lock()

    def connected(self, connection: Connection) -> None:
        if self.hub.add(connection):
            self.presence.changed(connection.user_id, online=True)

    def disconnected(self, connection: Connection) -> None:
        if self.hub.remove(connection):
            self.presence.changed(connection.user_id, online=False)

    def services(self) -> list[str]:
        return sorted({s for s in AREAS.values() if self._services.knows(s)})

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

"""Service-to-service HTTP: the same client interface in one process and across a cluster.

In ``disco up`` a service's client talks to its ASGI app directly (``httpx.ASGITransport``);
in ``disco cluster`` the same client goes over the network. Callers cannot tell which.

The gateway's forwarding of client requests, every API call, takes neither: an app in this
process is called directly (``gateway/inprocess.py``), and one across the network through an
aiohttp session (``forwarding_session``). httpx's connection pool looks at every pooled
connection on every request (``has_expired``, a socket poll each): with a connection per
concurrent request, it cost the cluster's gateway 0.8 ms of CPU a request against aiohttp's
0.06 ms, the same calls to the same server (``docs/performance.md``, gateway cost).

A few hot calls also get a **direct** route: a service running in this process may register a
plain coroutine for one of its endpoints, which callers use instead of an HTTP round trip
(the gateway relays every WebSocket ``location_update`` this way in ``disco up``). It must
behave exactly like the endpoint: same checks, same ``DiscoError`` for a refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import aiohttp
import httpx
from starlette.types import ASGIApp

from disco.platform.security import Principal
from disco.platform.service_auth import ServiceCredentials

__all__ = [
    "CLIENT_KEEP_ALIVE_SECONDS",
    "SERVER_KEEP_ALIVE_SECONDS",
    "DirectCall",
    "ServiceDirectory",
]

# An idle keep-alive connection must be dropped by the client before the server drops it.
# With both at httpx's and uvicorn's default of 5 s, a request sent on a connection at the
# moment the server closes it fails with a ReadError (a 503 to the person, under load): so
# every Disco server keeps idle connections far longer than any Disco client reuses them.
CLIENT_KEEP_ALIVE_SECONDS = 20.0
SERVER_KEEP_ALIVE_SECONDS = 75

# (the caller, JSON body) -> None; raises the DiscoError the endpoint would answer with. The
# caller is the principal the gateway verified when the socket authenticated (and keeps
# checking: an expired socket is closed, a revoked one within ws_revocation_check_seconds), so
# a frame costs no second verification.
DirectCall = Callable[[Principal, dict[str, Any]], Awaitable[None]]


class ServiceDirectory:
    """Knows where each service is and hands out one pooled client per service, each of whose
    requests carries this process's service credential for it."""

    def __init__(
        self,
        credentials: ServiceCredentials,
        urls: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.credentials = credentials
        self._urls = dict(urls or {})
        self._apps: dict[str, ASGIApp] = {}
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._direct: dict[tuple[str, str, str], DirectCall] = {}
        self._timeout = timeout

    def register_app(self, service: str, app: ASGIApp) -> None:
        """Reach ``service`` in this process."""
        self._apps[service] = app

    def register_direct(self, service: str, method: str, path: str, call: DirectCall) -> None:
        """Offer ``call`` for ``method path`` of ``service``, which runs in this process."""
        self._direct[(service, method.upper(), path)] = call

    def direct(self, service: str, method: str, path: str) -> DirectCall | None:
        return self._direct.get((service, method.upper(), path))

    def app(self, service: str) -> ASGIApp | None:
        """``service``'s app if it runs in this process (the gateway's in-process hop)."""
        return self._apps.get(service)

    def knows(self, service: str) -> bool:
        return service in self._apps or service in self._urls

    def client(self, service: str) -> httpx.AsyncClient:
        client = self._clients.get(service)
        if client is None:
            if service in self._apps:
                # The service's own error answer comes back, as it would over the network,
                # rather than the exception its error middleware re-raises after answering.
                transport: httpx.AsyncBaseTransport = httpx.ASGITransport(
                    app=self._apps[service], raise_app_exceptions=False
                )
                base_url = f"http://{service}.internal"
            elif service in self._urls:
                transport = httpx.AsyncHTTPTransport(
                    retries=2,
                    limits=httpx.Limits(
                        max_connections=200,
                        max_keepalive_connections=50,
                        keepalive_expiry=CLIENT_KEEP_ALIVE_SECONDS,
                    ),
                )
                base_url = self._urls[service]
            else:
                raise LookupError(f"no route to service {service!r}")
            client = httpx.AsyncClient(
                transport=transport,
                base_url=base_url,
                timeout=self._timeout,
                auth=self.credentials.httpx_auth(service),
                # One client serves every caller: a cookie one answer sets (the OpenID
                # sign-in's binding, say) must never ride along on someone else's request.
                cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            )
            self._clients[service] = client
        return client

    def url(self, service: str) -> str:
        """Where ``service`` listens when it runs in another process."""
        if service not in self._urls:
            raise LookupError(f"no route to service {service!r}")
        return self._urls[service]

    def forwarding_session(self, service: str) -> aiohttp.ClientSession:
        """The pooled session that carries requests on to ``service`` in another process. It
        adds no service credential, no cookie and none of the headers a client would add of its
        own accord (type, accept, agent): the caller says it all. A request waits at most the
        timeout for a connection (the pool's and the connect), and for each read."""
        session = self._sessions.get(service)
        if session is None:
            if service not in self._urls:
                raise LookupError(f"no route to service {service!r}")
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=200, limit_per_host=0, keepalive_timeout=CLIENT_KEEP_ALIVE_SECONDS
                ),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=self._timeout,
                    sock_connect=self._timeout,
                    sock_read=self._timeout,
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("Content-Type", "Accept", "Accept-Encoding", "User-Agent"),
                auto_decompress=False,  # the body goes on as the service sent it
            )
            self._sessions[service] = session
        return session

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()

"""Service credentials: who may call a service's internal endpoints, and whose word a service
takes for the client's address.

Every call one Disco process makes to a service (the gateway forwarding a client's request, a
service calling another's internal API, an operator's command) carries a short-lived token,
HMAC-signed with a key derived from the field-encryption key ring that every process of a
deployment already shares, and addressed to the one service it calls. The receiving service
checks it before anything else:

- internal endpoints (``/internal/...``) refuse a call without a valid credential, so reaching
  a service's port, or tricking the gateway into forwarding there, is not enough;
- the client address the gateway vouches for (``x-disco-client-ip``) is believed only from a
  credentialed caller; anyone else's copy of that header is dropped.

A token lives two minutes and is reused for half of that, so signing costs nothing per call.
Verification accepts a key derived from any key in the ring, so rotating the ring does not
refuse the tokens of processes that have not restarted yet.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from typing import Any

import httpx
import jwt
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "CLIENT_IP_HEADER",
    "SERVICE_TOKEN_HEADER",
    "ServiceCallerMiddleware",
    "ServiceCredentials",
    "service_caller",
]

SERVICE_TOKEN_HEADER = "x-disco-service-token"
CLIENT_IP_HEADER = "x-disco-client-ip"
_ISSUER = "disco-service"
_ALGORITHM = "HS256"
_LEEWAY_SECONDS = 5
_SCOPE_KEY = "disco.service_caller"
# Tokens already checked: a caller reuses one token for a minute, so a process sees a handful
# at a time; the bound only keeps memory flat.
_CHECKED_CACHE_SIZE = 256


class ServiceCredentials:
    """Signs the tokens this process sends and checks the ones it receives.

    ``secrets`` come newest first: the newest signs, every one verifies.
    """

    def __init__(
        self,
        secrets: Sequence[bytes],
        *,
        caller: str,
        ttl_seconds: float = 120.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        if not secrets:
            raise ValueError("at least one service secret is required")
        self._secrets = list(secrets)
        self._caller = caller
        self._ttl = ttl_seconds
        self._now = now
        self._issued: dict[str, tuple[str, float]] = {}
        # The HMAC check and claim parsing of a token, kept: they were a few per cent of a chat
        # message's CPU (``bench.chat``). Times are still checked on every call.
        self._checked = functools.lru_cache(maxsize=_CHECKED_CACHE_SIZE)(self._check)

    def token_for(self, service: str) -> str:
        """A token addressed to ``service``, reused while more than half its life is left."""
        now = self._now()
        issued = self._issued.get(service)
        if issued is not None and issued[1] - now > self._ttl / 2:
            return issued[0]
        expires = now + self._ttl
        claims = {
            "iss": _ISSUER,
            "sub": self._caller,
            "aud": service,
            "iat": int(now),
            "exp": int(expires),
        }
        token = jwt.encode(claims, self._secrets[0], algorithm=_ALGORITHM)
        self._issued[service] = (token, expires)
        return token

    def caller_of(self, token: str, service: str) -> str | None:
        """Who sent ``token`` to ``service``; None unless it is genuine, current and for it."""
        checked = self._checked(token, service)
        if checked is None:
            return None
        caller, issued, expires = checked
        if not issued - _LEEWAY_SECONDS <= self._now() <= expires + _LEEWAY_SECONDS:
            return None
        return caller

    def _check(self, token: str, service: str) -> tuple[str, int, int] | None:
        """The caller and times of a token signed by a key of the ring for ``service``."""
        for secret in self._secrets:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    secret,
                    algorithms=[_ALGORITHM],
                    audience=service,
                    issuer=_ISSUER,
                    # Times are checked by the caller against the injected clock.
                    options={
                        "require": ["exp", "iat", "iss", "aud", "sub"],
                        "verify_exp": False,
                        "verify_iat": False,
                    },
                )
            except jwt.InvalidSignatureError:
                continue  # perhaps signed with an older key of the ring
            except jwt.PyJWTError:
                return None
            issued, expires = claims["iat"], claims["exp"]
            if not isinstance(issued, int) or not isinstance(expires, int):
                return None
            return str(claims["sub"]), issued, expires
        return None

    def httpx_auth(self, service: str) -> httpx.Auth:
        """Adds this process's credential for ``service`` to every request of a client."""
        return _ServiceAuth(self, service)


class _ServiceAuth(httpx.Auth):
    def __init__(self, credentials: ServiceCredentials, service: str) -> None:
        self._credentials = credentials
        self._service = service

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, Any, None]:
        request.headers[SERVICE_TOKEN_HEADER] = self._credentials.token_for(self._service)
        yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, Any]:
        request.headers[SERVICE_TOKEN_HEADER] = self._credentials.token_for(self._service)
        yield request


class ServiceCallerMiddleware:
    """Outermost on every service app: records a credentialed caller in the scope, and strips
    the headers only a credentialed caller may send from everyone else's requests."""

    def __init__(self, app: ASGIApp, credentials: ServiceCredentials, service: str) -> None:
        self.app = app
        self._credentials = credentials
        self._service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            token = None
            for name, value in scope["headers"]:
                if name == SERVICE_TOKEN_HEADER.encode():
                    token = value.decode("latin-1")
            caller = token and self._credentials.caller_of(token, self._service)
            scope[_SCOPE_KEY] = caller or None
            if not caller:
                trusted_only = {SERVICE_TOKEN_HEADER.encode(), CLIENT_IP_HEADER.encode()}
                scope["headers"] = [(k, v) for k, v in scope["headers"] if k not in trusted_only]
        await self.app(scope, receive, send)


def service_caller(scope: Scope) -> str | None:
    """The credentialed service that made this request, if any."""
    caller = scope.get(_SCOPE_KEY)
    return caller if isinstance(caller, str) else None

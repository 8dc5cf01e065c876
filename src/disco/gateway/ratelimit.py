"""Rate limits as API.md states them: 60 requests a minute by IP before sign-in, 1000 by user
after, counted in the KV store so every gateway process spends from the same budget."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from disco.config import Settings
from disco.platform.api import bearer_token, error_response
from disco.platform.errors import DiscoError, RateLimited, Unauthorized, Unavailable
from disco.platform.kv import KeyValue
from disco.platform.observability import RATE_LIMITED
from disco.platform.security import TokenVerifier

__all__ = ["RateLimit", "RateLimitMiddleware", "RateLimiter"]

log = logging.getLogger(__name__)


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
    """Fixed one-minute windows; a window starts with its caller's first request."""

    WINDOW = 60

    def __init__(self, kv: KeyValue, settings: Settings) -> None:
        self._kv = kv
        self._anonymous = settings.rate_limit_anonymous_per_minute
        self._user = settings.rate_limit_user_per_minute

    async def check(self, *, user_id: str | None, client_ip: str) -> RateLimit:
        """Count this request; raise ``RateLimited`` (with the headers) past the budget."""
        if user_id is not None:
            caller, key, limit = "user", f"ratelimit:user:{user_id}", self._user
        else:
            caller, key, limit = "ip", f"ratelimit:ip:{client_ip}", self._anonymous
        count, reset = await self._kv.hit(key, self.WINDOW)
        state = RateLimit(limit, max(0, limit - count), max(1, int(reset + 0.999)))
        if count > limit:
            RATE_LIMITED.labels(caller).inc()
            raise RateLimited(
                f"Rate limit of {limit} requests a minute exceeded; retry in "
                f"{state.reset_seconds} s.",
                headers={**state.headers(), "Retry-After": str(state.reset_seconds)},
            )
        return state


class RateLimitMiddleware:
    """Counts every ``/v1`` HTTP request and stamps the three headers on whatever answers it,
    errors included (404, 413, 503 and the services' own).

    A valid access token spends its user's budget. Any other token spends the caller's IP
    budget (garbage tokens buy no fresh allowance) and the request goes on: the service decides
    whether it needs a principal, so an expired token does not block ``/v1/auth/refresh``.
    """

    def __init__(
        self, app: ASGIApp, *, limiter: RateLimiter, tokens: TokenVerifier, prefix: str = "/v1/"
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.tokens = tokens
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        try:
            limit = await self._admit(scope)
        except DiscoError as exc:
            await error_response(exc)(scope, receive, send)
            return

        async def send_with_limit(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(limit.headers())
            await send(message)

        await self.app(scope, receive, send_with_limit)

    async def _admit(self, scope: Scope) -> RateLimit:
        client = scope.get("client")
        client_ip = client[0] if client else "unknown"
        token = bearer_token(Request(scope))
        user_id = None
        try:
            if token is not None:
                try:
                    user_id = (await self.tokens.verify(token)).user_id
                except Unauthorized:
                    user_id = None
            return await self.limiter.check(user_id=user_id, client_ip=client_ip)
        except DiscoError:
            raise
        except Exception as exc:
            # The KV store (or the JWKS behind the verifier) is down: refusing beats guessing.
            log.warning("rate limit check failed: %s", exc)
            raise Unavailable(
                "A backend the gateway needs is unavailable; try again shortly."
            ) from exc

"""Telling a backend that did not answer from a bug: the first is a 503 the client may retry
(PostgreSQL out of connections, Redis or a service unreachable), the second a 500."""

from __future__ import annotations

import asyncpg
import httpx
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError

__all__ = ["MAY_BE_OUTAGES", "is_backend_outage"]

_OUTAGES = (
    ConnectionError,  # refused or reset, asyncpg's connection errors included
    TimeoutError,
    httpx.TransportError,
    RedisConnectionError,
    RedisTimeoutError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.CannotConnectNowError,
)

# The errors that are, or may wrap, an outage: what the error handlers catch by name, so that an
# outage is answered where it is caught, not re-raised as an unhandled error (Starlette re-raises
# what its catch-all handler answered, and the server logs a traceback for every backend blip).
MAY_BE_OUTAGES: tuple[type[Exception], ...] = (DBAPIError, *_OUTAGES)


def is_backend_outage(exc: BaseException) -> bool:
    """True if ``exc``, or what it wraps (SQLAlchemy wraps the driver's error twice), says a
    backend could not be reached or would not take the work now."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, _OUTAGES):
            return True
        seen = seen.__cause__ or getattr(seen, "orig", None)
    return False

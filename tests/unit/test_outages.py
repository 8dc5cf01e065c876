"""A backend that does not answer is a 503 the client may retry, never a 500."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import DBAPIError

from disco.platform.api import install_error_handlers
from disco.platform.outages import is_backend_outage


def wrapped(error: BaseException) -> DBAPIError:
    """What SQLAlchemy raises for a driver's error: the driver's error as ``orig``."""
    return DBAPIError("select 1", {}, error)


OUTAGES = [
    wrapped(asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already")),
    wrapped(ConnectionRefusedError(111, "Connect call failed")),
    RedisConnectionError("Error 111 connecting to 127.0.0.1:6379"),
    httpx.ConnectError("All connection attempts failed"),
    TimeoutError(),
]
BUGS = [KeyError("x"), ValueError("bad"), wrapped(asyncpg.exceptions.UniqueViolationError("dup"))]


@pytest.mark.parametrize("error", OUTAGES, ids=repr)
def test_outages_are_recognised(error: BaseException) -> None:
    assert is_backend_outage(error)


@pytest.mark.parametrize("error", BUGS, ids=repr)
def test_bugs_are_not_outages(error: BaseException) -> None:
    assert not is_backend_outage(error)


async def test_an_outage_answers_503_and_a_bug_500() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/outage")
    async def outage() -> None:
        raise OUTAGES[0]

    @app.get("/bug")
    async def bug() -> None:
        raise KeyError("x")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        unavailable = await http.get("/outage")
        assert unavailable.status_code == 503
        assert unavailable.json()["error"]["code"] == "UNAVAILABLE"
        assert (await http.get("/bug")).status_code == 500


@pytest.mark.parametrize("error", OUTAGES, ids=repr)
async def test_an_outage_is_answered_where_it_is_caught_not_raised_to_the_server(
    error: BaseException,
) -> None:
    """Starlette re-raises what its catch-all handler answered, and the server then logs an
    "Exception in ASGI application" traceback: one per request while Redis restarts."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/outage")
    async def outage() -> None:
        raise error

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.get("/outage")).status_code == 503

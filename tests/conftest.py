"""Fixtures shared by every suite."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from disco.client import DiscoClient
from tests.support.backends import Running, backend_settings, serve, sweep_session_queues
from tests.support.mailbox import Mailbox

BACKENDS = ["embedded", "real"]
PASSWORD = "a long and unusual passphrase"
_users = itertools.count()


@pytest.fixture(scope="session", autouse=True)
async def _sweep_broker() -> AsyncIterator[None]:
    """Leave the shared RabbitMQ as the session found it (see ``sweep_session_queues``)."""
    yield
    await sweep_session_queues()


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def disco(
    backend: str, mailbox: Mailbox, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Running]:
    """The whole system in one process, on the backend of this parametrisation."""
    data_dir: Path = tmp_path_factory.mktemp(f"disco-{backend}")
    async with backend_settings(backend, data_dir, smtp_url=mailbox.url) as settings:
        async with serve(settings) as running:
            yield running


@pytest.fixture
async def client(disco: Running) -> AsyncIterator[DiscoClient]:
    async with DiscoClient(disco.url) as c:
        yield c


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{next(_users)}-{id(_users) % 9973}@example.com"


@pytest.fixture
async def user(disco: Running) -> AsyncIterator[DiscoClient]:
    """A signed-up user's client."""
    async with DiscoClient(disco.url) as c:
        await c.signup(unique_email(), PASSWORD, "Test", "User")
        yield c

"""The one service host: how every service with tables becomes an ASGI app.

A service's ``app.py`` says what it has, and the host wires it the same way for all of them:

    host = ServiceHost(ctx, NAME, outbox=models.outbox, inbox=models.inbox)
    service = UsersService(ctx, ...)
    host.consume({UserRegistered: handlers.on_user_registered})   # through the inbox
    host.worker(dispatcher)                                          # start() / async stop()
    host.every(60.0, refresh_keys, "signing keys")                   # a periodic job
    host.provide(service=service)                                    # what endpoints depend on
    host.sealed(Sealed(models.contacts, ("sealed",)))                # reseal on key rotation
    return host.app(api.router, internal=api.internal)

At start-up the host runs the ``on_start`` steps, starts the outbox relay, the workers and the
periodic jobs; at shut-down it stops them in reverse order, runs the ``on_stop`` steps and
closes the database. Every app gets ``db`` in its state (for the unit-of-work dependency,
``platform/api.py`` ``Uow``) and a readiness check of its database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from sqlalchemy import Table
from starlette.middleware import Middleware

from disco.platform.api import create_service_app
from disco.platform.bus.inbox import forget_handled
from disco.platform.bus.outbox import OutboxRelay
from disco.platform.bus.routing import (
    EventHandler,
    EventModel,
    subscribe_handlers,
    subscribe_stateless,
)
from disco.platform.context import ServiceContext
from disco.platform.db import Database
from disco.platform.reseal import Sealed, reseal_router
from disco.platform.tasks import end_if_stopping, stop_task

__all__ = ["ServiceHost", "Worker"]

log = logging.getLogger(__name__)


class Worker(Protocol):
    """Something that runs in the background for as long as the app does."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


class ServiceHost:
    def __init__(
        self,
        ctx: ServiceContext,
        name: str,
        *,
        outbox: Table,
        inbox: Table,
        erased: Table | None = None,
        sqlite_single_connection: bool = False,
    ) -> None:
        self.ctx = ctx
        self.name = name
        self.db = Database(
            ctx.settings.database_url_for(name),
            service=name,
            outbox=outbox,
            sqlite_single_connection=sqlite_single_connection,
            pool_size=ctx.settings.database_pool_size,
            pool_overflow=ctx.settings.database_pool_overflow,
            clock=ctx.clock,
        )
        self._inbox = inbox
        self._erased = erased
        self._workers: list[Worker] = []
        if ctx.settings.outbox_relay:
            self._workers.append(OutboxRelay(self.db, ctx.bus))
        self._on_start: list[Callable[[], Awaitable[None]]] = []
        self._on_stop: list[Callable[[], Awaitable[None]]] = []
        self._jobs: list[tuple[float, float, Callable[[], Awaitable[None]], str]] = []
        self._once: list[tuple[float, Callable[[], Awaitable[None]], str]] = []
        # Soon after start too: a process restarted more often than hourly must still do it.
        self.every(
            3600, self._forget_handled, f"forgetting {name}'s long-applied events", first_after=60
        )
        self._state: dict[str, Any] = {"db": self.db, "token_verifier": ctx.tokens}
        self._readiness: dict[str, Callable[[], Awaitable[None]]] = {"database": self.db.ping}
        self._sealed: list[Sealed] = []

    # --- what the service has ---------------------------------------------------------------
    def consume(
        self, handlers: Mapping[type[EventModel], EventHandler], *, group: str | None = None
    ) -> None:
        """Events this service applies to its tables, once each (``platform/bus/routing.py``)."""
        subscribe_handlers(
            self.ctx.bus, self.db, self._inbox, group or self.name, handlers, erased=self._erased
        )

    def listen(
        self,
        group: str,
        handlers: Mapping[type[EventModel], Callable[[Any], Awaitable[None]]],
        *,
        broadcast: bool = False,
    ) -> None:
        """Events that change no table (no transaction, no inbox); with ``broadcast`` every
        process of this service hears each (for state kept in memory)."""
        subscribe_stateless(self.ctx.bus, group, handlers, broadcast=broadcast)

    def worker(self, worker: Worker) -> None:
        self._workers.append(worker)

    def every(
        self,
        seconds: float,
        job: Callable[[], Awaitable[None]],
        what: str,
        *,
        first_after: float | None = None,
    ) -> None:
        """Run ``job`` every ``seconds`` while the app runs, the first time ``first_after``
        seconds after start (by default ``seconds``); a failure is logged and the next run
        comes as usual."""
        self._jobs.append((seconds, first_after if first_after is not None else seconds, job, what))

    def once(self, job: Callable[[], Awaitable[None]], what: str, *, retry_after: float) -> None:
        """Run ``job`` in the background once the app has started, until it succeeds once: a
        failure is logged and it is tried again ``retry_after`` seconds later."""
        self._once.append((retry_after, job, what))

    def on_start(self, step: Callable[[], Awaitable[None]]) -> None:
        """Before anything else starts (and before the app takes requests)."""
        self._on_start.append(step)

    def on_stop(self, step: Callable[[], Awaitable[None]]) -> None:
        """After the workers stopped, before the database closes."""
        self._on_stop.append(step)

    def sealed(self, *items: Sealed) -> None:
        """Columns encrypted with the field cipher: ``disco keys rotate`` reseals them
        (``platform/reseal.py``)."""
        self._sealed.extend(items)

    def ready_when(self, name: str, check: Callable[[], Awaitable[None]]) -> None:
        self._readiness[name] = check

    def provide(self, **state: Any) -> None:
        """Put objects where endpoints find them (``platform/api.py`` ``from_state``)."""
        self._state.update(state)

    async def _forget_handled(self) -> None:
        await forget_handled(self.db, self._inbox, self.ctx.clock.now())

    # --- the app ----------------------------------------------------------------------------
    def app(
        self,
        *routers: APIRouter,
        internal: APIRouter | None = None,
        middleware: Sequence[Middleware] = (),
    ) -> FastAPI:
        settings = self.ctx.settings
        if self._sealed:
            routes = APIRouter()
            if internal is not None:
                routes.include_router(internal)
            routes.include_router(reseal_router(self.name, self.db, self.ctx.cipher, self._sealed))
            internal = routes
        app = create_service_app(
            self.name,
            credentials=self.ctx.credentials,
            max_body_bytes=settings.max_body_bytes,
            body_limits=settings.body_limits,
            lifespan=self._lifespan,
            middleware=middleware,
            internal=internal,
        )
        for key, value in self._state.items():
            setattr(app.state, key, value)
        app.state.readiness.update(self._readiness)
        for router in routers:
            app.include_router(router)
        return app

    @asynccontextmanager
    async def _lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        for step in self._on_start:
            await step()
        started: list[Worker] = []
        jobs: list[asyncio.Task[None]] = []
        try:
            for worker in self._workers:
                worker.start()
                started.append(worker)
            for seconds, first_after, job, what in self._jobs:
                repeating = _repeat(seconds, job, what, first_after=first_after)
                jobs.append(asyncio.create_task(repeating, name=what))
            for retry_after, job, what in self._once:
                jobs.append(asyncio.create_task(_until_done(retry_after, job, what), name=what))
            yield
        finally:
            await asyncio.gather(*(stop_task(task) for task in jobs))
            for worker in reversed(started):
                await worker.stop()
            for step in self._on_stop:
                await step()
            await self.db.dispose()


async def _until_done(retry_after: float, job: Callable[[], Awaitable[None]], what: str) -> None:
    while True:
        try:
            await job()
            return
        except Exception as exc:
            end_if_stopping(exc)
            log.exception("%s failed; trying again in %.0f s", what, retry_after)
        await asyncio.sleep(retry_after)


async def _repeat(
    seconds: float, job: Callable[[], Awaitable[None]], what: str, *, first_after: float
) -> None:
    await asyncio.sleep(first_after)
    while True:
        try:
            await job()
        except Exception as exc:
            end_if_stopping(exc)
            log.exception("%s failed; trying again in %.0f s", what, seconds)
        await asyncio.sleep(seconds)

"""create_app(ctx): the safety service as an ASGI app, with its start-up and shut-down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from disco.platform.api import create_service_app
from disco.platform.bus.outbox import OutboxRelay
from disco.platform.context import ServiceContext
from disco.platform.db import Database
from disco.safety import api, models
from disco.safety.handlers import consumer
from disco.safety.notify import NotificationDispatch
from disco.safety.notify import api as notify_api
from disco.safety.service import CheckinScheduler, SafetyService

__all__ = ["MIGRATIONS", "NAME", "create_app", "metadata"]

NAME = "safety"
MIGRATIONS = Path(__file__).parent / "migrations"
metadata = models.metadata


def create_app(ctx: ServiceContext) -> FastAPI:
    settings = ctx.settings
    db = Database(settings.database_url_for(NAME), service=NAME, outbox=models.outbox)
    relay = OutboxRelay(db, ctx.bus)
    notifications = NotificationDispatch(ctx, db)
    service = SafetyService(ctx, notifications.queue)
    scheduler = CheckinScheduler(db, service)
    ctx.bus.subscribe(NAME, *consumer(db, service))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.outbox_relay:
            relay.start()
        notifications.start()
        scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()
            await notifications.stop()
            await relay.stop()
            await db.dispose()

    app = create_service_app(
        NAME,
        credentials=ctx.credentials,
        max_body_bytes=settings.max_body_bytes,
        body_limits=settings.body_limits,
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.notifications = notifications
    app.state.service = service
    app.state.token_verifier = ctx.tokens
    app.state.readiness["database"] = db.ping
    app.include_router(api.router)
    app.include_router(notify_api.router)
    return app

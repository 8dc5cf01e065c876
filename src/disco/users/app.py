"""create_app(ctx): the users service as an ASGI app, with its start-up and shut-down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from disco.clients.auth import AuthClient
from disco.clients.chat import ChatClient
from disco.platform.api import create_service_app
from disco.platform.bus.outbox import OutboxRelay
from disco.platform.context import ServiceContext
from disco.platform.db import Database
from disco.users import api, models
from disco.users.handlers import on_user_registered
from disco.users.service import UsersService
from disco.users.storage import LocalPhotoStore

__all__ = ["MIGRATIONS", "NAME", "create_app", "metadata"]

NAME = "users"
MIGRATIONS = Path(__file__).parent / "migrations"
metadata = models.metadata


def create_app(ctx: ServiceContext) -> FastAPI:
    settings = ctx.settings
    db = Database(settings.database_url_for(NAME), service=NAME, outbox=models.outbox)
    # Each service that holds data about a user adds its share of the export here.
    exporters = {
        "auth": AuthClient(ctx.services).export_user,
        "chat": ChatClient(ctx.services).export_user,
    }
    service = UsersService(ctx, LocalPhotoStore(settings.data_dir / "photos"), exporters)
    relay = OutboxRelay(db, ctx.bus)
    ctx.bus.subscribe(NAME, ["auth.user.registered"], on_user_registered(db, service))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.outbox_relay:
            relay.start()
        try:
            yield
        finally:
            await relay.stop()
            await service.drain()
            await db.dispose()

    app = create_service_app(
        NAME,
        credentials=ctx.credentials,
        max_body_bytes=settings.max_body_bytes,
        body_limits=settings.body_limits,
        lifespan=lifespan,
        internal=api.internal,
    )
    app.state.service = service
    app.state.db = db
    app.state.token_verifier = ctx.tokens
    app.state.readiness["database"] = db.ping
    app.include_router(api.router)
    return app

"""create_app(ctx): the match service as an ASGI app, with its start-up and shut-down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from disco.config import Settings
from disco.contracts.events.match import CandidateChanged
from disco.match import export, models
from disco.match.connections import api as connections_api
from disco.match.connections.service import ConnectionsService
from disco.match.discovery import api
from disco.match.discovery.service import DiscoveryService
from disco.match.engine.geo import Displacement
from disco.match.handlers import USERS_EVENTS, on_candidate_changed, on_users_event
from disco.match.local_events import api as local_events_api
from disco.match.local_events.service import LocalEventsService
from disco.match.presence import MemoryPresence, Presence
from disco.match.presence_redis import RedisPresence
from disco.platform.api import create_service_app
from disco.platform.bus.outbox import OutboxRelay
from disco.platform.context import ServiceContext
from disco.platform.db import Database

__all__ = ["MIGRATIONS", "NAME", "create_app", "metadata"]

NAME = "match"
MIGRATIONS = Path(__file__).parent / "migrations"
metadata = models.metadata

log = logging.getLogger(__name__)


def build_presence(settings: Settings) -> Presence:
    """Redis when configured, so every match process shares one index; else this process's."""
    if settings.redis_url:
        return RedisPresence(
            settings.redis_url,
            settings.namespace,
            ttl_s=settings.presence_ttl_seconds,
            cooldown_s=settings.nearby_cooldown_seconds,
            memory_s=settings.location_fix_memory_seconds,
        )
    return MemoryPresence(
        ttl_s=settings.presence_ttl_seconds,
        cooldown_s=settings.nearby_cooldown_seconds,
        memory_s=settings.location_fix_memory_seconds,
    )


async def sweep_forever(discovery: DiscoveryService, every_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            await discovery.sweep()
        except Exception:
            log.exception("discovery sweep failed; retrying at the next one")


def create_app(ctx: ServiceContext) -> FastAPI:
    settings = ctx.settings
    # Its hot path writes often (announcements, the relay): see Database.
    db = Database(
        settings.database_url_for(NAME),
        service=NAME,
        outbox=models.outbox,
        sqlite_single_connection=True,
    )
    relay = OutboxRelay(db, ctx.bus)
    displacement = Displacement(
        ctx.cipher.derive_secret("location-displacement"), settings.location_snap_meters
    )
    presence = build_presence(settings)
    discovery = DiscoveryService(ctx, db, presence, displacement)
    ctx.bus.subscribe(NAME, USERS_EVENTS, on_users_event(db, discovery))
    # Every process holds its own cache, so every process hears of every change.
    ctx.bus.subscribe(
        "match.cache",
        [CandidateChanged.event_type],
        on_candidate_changed(discovery),
        broadcast=True,
    )
    # Often enough that a silent user is gone soon after their TTL.
    sweep_every_s = min(5.0, settings.presence_ttl_seconds / 4)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.outbox_relay:
            relay.start()
        sweeper = asyncio.create_task(sweep_forever(discovery, sweep_every_s))
        discovery.announcements.start()
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await discovery.announcements.stop()
            await relay.stop()
            await presence.close()
            await db.dispose()

    app = create_service_app(
        NAME,
        credentials=ctx.credentials,
        max_body_bytes=settings.max_body_bytes,
        body_limits=settings.body_limits,
        lifespan=lifespan,
        internal=export.internal,
    )
    app.state.db = db
    app.state.token_verifier = ctx.tokens
    app.state.readiness["database"] = db.ping
    app.state.readiness["presence"] = presence.ping
    app.state.presence = presence
    app.state.displacement = displacement
    app.state.discovery = discovery
    ctx.services.register_direct(
        NAME, "POST", "/v1/location", api.location_frame(discovery, ctx.tokens)
    )
    app.include_router(api.router)
    app.state.connections = ConnectionsService(ctx)
    app.state.local_events = LocalEventsService(ctx)
    app.include_router(connections_api.router)
    app.include_router(local_events_api.router)
    return app

"""create_app(ctx): the match service as an ASGI app, wired by the service host."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from disco.config import Settings
from disco.match import export, models
from disco.match.connections import api as connections_api
from disco.match.connections.service import ConnectionsService
from disco.match.discovery import api
from disco.match.discovery.service import DiscoveryService
from disco.match.engine.geo import Displacement
from disco.match.handlers import MatchHandlers
from disco.match.local_events import api as local_events_api
from disco.match.local_events.service import LocalEventsService
from disco.match.presence import MemoryPresence, Presence
from disco.match.presence_redis import RedisPresence
from disco.platform.context import ServiceContext
from disco.platform.host import ServiceHost

__all__ = ["MIGRATIONS", "NAME", "create_app", "metadata"]

NAME = "match"
MIGRATIONS = Path(__file__).parent / "migrations"
metadata = models.metadata


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


def create_app(ctx: ServiceContext) -> FastAPI:
    settings = ctx.settings
    # Its hot path writes often (announcements, the relay): see Database.
    host = ServiceHost(
        ctx,
        NAME,
        outbox=models.outbox,
        inbox=models.inbox,
        erased=models.erased_users,
        sqlite_single_connection=True,
    )
    displacement = Displacement(
        ctx.cipher.derive_secret("location-displacement"), settings.location_snap_meters
    )
    presence = build_presence(settings)
    discovery = DiscoveryService(ctx, host.db, presence, displacement)
    handlers = MatchHandlers(discovery)
    host.consume(handlers.table())
    # Every process holds its own cache, so every process hears of every change.
    host.listen("match.cache", handlers.broadcasts(), broadcast=True)
    host.worker(discovery.announcements)
    host.once(discovery.retell_lost, "retelling lost announcements", retry_after=5.0)
    host.every(1.0, discovery.retell_owed, "retelling announcements an outage interrupted")
    # Often enough that a silent user is gone soon after their TTL.
    host.every(min(5.0, settings.presence_ttl_seconds / 4), discovery.sweep, "discovery sweep")
    host.on_stop(presence.close)
    host.ready_when("presence", presence.ping)
    host.provide(
        presence=presence,
        displacement=displacement,
        discovery=discovery,
        connections=ConnectionsService(ctx),
        local_events=LocalEventsService(ctx),
    )
    ctx.services.register_direct(NAME, "POST", "/v1/location", api.location_frame(discovery))
    return host.app(
        api.router,
        connections_api.router,
        local_events_api.router,
        internal=export.internal,
    )

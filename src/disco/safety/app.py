"""create_app(ctx): the safety service as an ASGI app, wired by the service host."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from disco.platform.context import ServiceContext
from disco.platform.host import ServiceHost
from disco.safety import api, models
from disco.safety.handlers import SafetyHandlers
from disco.safety.notify import NotificationDispatch
from disco.safety.notify import api as notify_api
from disco.safety.service import CheckinScheduler, SafetyService

__all__ = ["MIGRATIONS", "NAME", "create_app", "metadata"]

NAME = "safety"
MIGRATIONS = Path(__file__).parent / "migrations"
metadata = models.metadata


def create_app(ctx: ServiceContext) -> FastAPI:
    host = ServiceHost(ctx, NAME, outbox=models.outbox, inbox=models.inbox)
    notifications = NotificationDispatch(ctx, host.db)
    service = SafetyService(ctx, notifications.queue)
    host.consume(SafetyHandlers(service).table())
    host.worker(notifications)  # after the outbox relay; stopped before it
    host.worker(CheckinScheduler(host.db, service))
    host.provide(notifications=notifications, service=service)
    return host.app(api.router, notify_api.router)

"""create_app(ctx): the safety service as an ASGI app, wired by the service host."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from disco.platform.context import ServiceContext
from disco.platform.host import ServiceHost
from disco.platform.reseal import Sealed
from disco.safety import export, models
from disco.safety.alerts import api as alerts_api
from disco.safety.alerts.pins import Pins
from disco.safety.alerts.service import AlertsService
from disco.safety.checkins import api as checkins_api
from disco.safety.checkins.scheduler import CheckinScheduler
from disco.safety.checkins.service import CheckinsService
from disco.safety.handlers import Erases, SafetyHandlers
from disco.safety.moderation import api as moderation_api
from disco.safety.moderation.service import ModerationService
from disco.safety.notify import NotificationDispatch
from disco.safety.notify import api as notify_api
from disco.safety.notify import models as notify_models
from disco.safety.people import api as people_api
from disco.safety.people.service import PeopleService
from disco.safety.people.tell import Teller
from disco.safety.ratings import api as ratings_api
from disco.safety.ratings.service import RatingsService
from disco.safety.replays import RequestKeys
from disco.safety.retention import Retention
from disco.safety.spots import api as spots_api
from disco.safety.spots.service import SpotsService

__all__ = ["MIGRATIONS", "NAME", "create_app", "metadata"]

NAME = "safety"
MIGRATIONS = Path(__file__).parent / "migrations"
metadata = models.metadata


def create_app(ctx: ServiceContext) -> FastAPI:
    host = ServiceHost(
        ctx, NAME, outbox=models.outbox, inbox=models.inbox, erased=models.erased_users
    )
    notifications = NotificationDispatch(ctx, host.db)
    teller = Teller(ctx.cipher, notifications.queue)
    people, pins = PeopleService(ctx), Pins(ctx)
    request_keys = RequestKeys(ctx.cipher, ctx.clock)
    alerts = AlertsService(ctx, teller, pins, request_keys)
    checkins = CheckinsService(ctx, teller, request_keys)
    ratings = RatingsService(ctx)
    moderation = ModerationService(ctx, ratings)
    erasers: list[Erases] = [
        people,
        alerts,
        checkins,
        request_keys,
        moderation,
        ratings,
        notifications.queue,
    ]
    host.consume(SafetyHandlers(people, teller, erasers).table())
    host.sealed(
        Sealed(models.contacts, ("sealed",)),
        Sealed(models.devices, ("sealed_token",)),
        Sealed(models.alerts, ("sealed_message",)),
        Sealed(models.alert_points, ("sealed",)),
        Sealed(models.checkins, ("sealed_details", "sealed_location")),
        Sealed(models.request_keys, ("sealed_request",)),
        Sealed(models.reports, ("sealed_evidence",)),
        Sealed(notify_models.notifications, ("content_sealed", "last_error_sealed")),
        Sealed(notify_models.notification_events, ("detail_sealed",)),
    )
    host.worker(notifications)  # after the outbox relay; stopped before it
    host.worker(CheckinScheduler(host.db, ctx, teller, alerts))
    retention = Retention(host.db, ctx.clock, ctx.settings)

    async def keep_only_what_is_due() -> None:
        await retention.run()

    host.every(ctx.settings.retention_every_seconds, keep_only_what_is_due, "safety retention")
    host.provide(
        notifications=notifications,
        people=people,
        pins=pins,
        alerts=alerts,
        checkins=checkins,
        moderation=moderation,
        ratings=ratings,
        spots=SpotsService(ctx),
        retention=retention,
    )
    return host.app(
        people_api.router,
        alerts_api.router,
        checkins_api.router,
        moderation_api.router,
        ratings_api.router,
        spots_api.router,
        notify_api.router,
        internal=export.internal,
    )

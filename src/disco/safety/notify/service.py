"""Notification dispatch as one process runs it: the queue, its worker, the moderators' view."""

from __future__ import annotations

import logging

import httpx

from disco.platform.context import ServiceContext
from disco.platform.db import Database
from disco.safety.notify.channels import build_notifiers
from disco.safety.notify.dispatcher import Dispatcher
from disco.safety.notify.message import CHANNELS
from disco.safety.notify.queue import NotificationQueue

__all__ = ["NotificationDispatch"]

log = logging.getLogger(__name__)


class NotificationDispatch:
    """Built once in the safety app: the domain and the moderators' api use ``queue``; the
    app starts and stops the dispatcher."""

    def __init__(self, ctx: ServiceContext, db: Database) -> None:
        self.db = db
        self._http = httpx.AsyncClient()
        notifiers = build_notifiers(ctx.settings, ctx.mailer, db, self._http)
        self._missing = sorted(set(CHANNELS) - set(notifiers))
        self.dispatcher = Dispatcher(
            db,
            notifiers,
            settings=ctx.settings,
            cipher=ctx.cipher,
            clock=ctx.clock,
            random=ctx.random,
        )
        self.queue = NotificationQueue(ctx.cipher, ctx.clock, self.dispatcher.wake)

    def start(self) -> None:
        if self._missing:
            log.warning(
                "notification channels without a provider: %s (their notifications are "
                "recorded as skipped; set DISCO_SMS_URL / DISCO_PUSH_URL)",
                ", ".join(self._missing),
            )
        self.dispatcher.start()

    async def stop(self) -> None:
        await self.dispatcher.stop()
        await self._http.aclose()

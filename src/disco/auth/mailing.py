"""Mail the auth service sends about an account: after the unit of work commits (never for a
rolled-back change) and off the request path, so response times do not reveal it."""

from __future__ import annotations

import asyncio
import logging

from disco.platform.db import UnitOfWork
from disco.platform.mail import Mailer

__all__ = ["AfterCommitMail"]

log = logging.getLogger(__name__)


class AfterCommitMail:
    def __init__(self, mailer: Mailer) -> None:
        self._mailer = mailer
        self._sending: set[asyncio.Task[None]] = set()

    def send(self, uow: UnitOfWork, to: str, subject: str, body: str) -> None:
        """Send once ``uow`` has committed; a failure is logged, never raised."""

        async def send() -> None:
            try:
                await self._mailer.send(to, subject, body)
            except Exception:
                log.exception("could not send %r mail", subject)

        async def schedule() -> None:
            task = asyncio.create_task(send())
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

        uow.after_commit(schedule)

    async def drain(self) -> None:
        """Wait for mail still being sent (at shutdown)."""
        await asyncio.gather(*self._sending, return_exceptions=True)

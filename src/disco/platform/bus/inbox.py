"""Idempotent consumption: an event id is applied at most once per handler, for as long as a
copy of it may still arrive."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from disco.platform.bus.base import Envelope, Handler
from disco.platform.db import Database, UnitOfWork
from disco.platform.repository import delete_in_batches

__all__ = ["HANDLED_KEPT_FOR", "forget_handled", "idempotent"]

log = logging.getLogger(__name__)

# How long an applied event's id is remembered. A copy comes again only while the event is
# still being delivered: a relay that died before deleting what it had published sends it again
# when it restarts, a consumer that died before its ack gets it again from the broker. That is
# minutes, or an outage's length; a week is far beyond either, and keeps the inbox from growing
# with every event for ever. (A dead-lettered event rolled its row back: replaying it is no
# duplicate.)
HANDLED_KEPT_FOR = timedelta(days=7)


def idempotent(
    db: Database,
    inbox: Table,
    name: str,
    apply: Callable[[UnitOfWork, Envelope], Awaitable[None]],
) -> Handler:
    """Wrap ``apply`` so that it runs in one transaction with the inbox row that records it.

    A redelivered event finds its row and is acknowledged without being applied again; a failed
    one rolls back both, so it is applied when it is retried.
    """
    insert = sqlite_insert if db.is_sqlite else pg_insert

    async def handle(envelope: Envelope) -> None:
        async with db.unit_of_work(f"consume.{name}") as uow:
            # First, before anything is read: on SQLite this write takes the one write lock
            # for the whole transaction, which the erasure guard relies on (``erasure.py``).
            claimed = await uow.session.execute(
                insert(inbox)
                .values(event_id=envelope.id, handler=name, handled_at=uow.clock.now())
                .on_conflict_do_nothing()
            )
            if claimed.rowcount == 0:  # type: ignore[attr-defined]
                return
            if envelope.occurred_at < uow.clock.now() - HANDLED_KEPT_FOR:
                # Older than the inbox remembers: a copy may have been applied before (an
                # outbox relayed again after a week's outage, say). Applied, and said.
                log.warning(
                    "%s: event %s (%s) from %s is older than the inbox remembers",
                    name,
                    envelope.id,
                    envelope.type,
                    envelope.occurred_at.isoformat(),
                )
            uow.event_time = envelope.occurred_at
            await apply(uow, envelope)

    return handle


async def forget_handled(db: Database, inbox: Table, now: datetime) -> int:
    """Delete the inbox rows of events applied longer than ``HANDLED_KEPT_FOR`` ago."""
    cutoff = now - HANDLED_KEPT_FOR
    return await delete_in_batches(
        db, f"{db.service}.inbox.forget", inbox, inbox.c.handled_at < cutoff
    )

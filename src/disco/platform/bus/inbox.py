"""Idempotent consumption: an event id is applied at most once per handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from disco.platform.bus.base import Envelope, Handler
from disco.platform.db import Database, UnitOfWork

__all__ = ["idempotent"]


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
            claimed = await uow.session.execute(
                insert(inbox)
                .values(event_id=envelope.id, handler=name, handled_at=uow.clock.now())
                .on_conflict_do_nothing()
            )
            if claimed.rowcount == 0:  # type: ignore[attr-defined]
                return
            uow.event_time = envelope.occurred_at
            await apply(uow, envelope)

    return handle

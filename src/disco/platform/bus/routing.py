"""The one way a service consumes events: a table from event class to ``on_<event>`` handler.

``subscribe_handlers(bus, db, inbox, group, {UserDeleted: on_user_deleted, ...})`` subscribes
the consumer group to exactly the table's event types, parses each payload into its event class
and runs the handler as ``handler(uow, event)`` inside one unit of work with the inbox row that
records it (``idempotent``): a redelivered event is acknowledged without being applied again,
and a failing one rolls back both and is retried by the bus. A group takes one set of patterns
(a queue is bound to all of them), so a service lists every event it consumes in one table.

Events that change no table (a cache to drop, presence kept in the key-value store) skip the
transaction and the inbox: ``subscribe_stateless``, as a group or as a broadcast (every process
hears every event).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Protocol

from pydantic import ValidationError
from sqlalchemy import Table

from disco.platform.bus.base import Envelope, EventBus, Unreadable
from disco.platform.bus.erasure import guarded
from disco.platform.bus.inbox import idempotent
from disco.platform.db import Database, UnitOfWork

__all__ = ["EventHandler", "EventModel", "subscribe_handlers", "subscribe_stateless"]


class EventModel(Protocol):
    """What the router needs of an event class (``disco.contracts.events.Event`` is one)."""

    event_type: ClassVar[str]
    event_version: ClassVar[int]

    @classmethod
    def model_validate(cls, obj: Any) -> Any: ...


EventHandler = Callable[[UnitOfWork, Any], Awaitable[None]]


def subscribe_handlers(
    bus: EventBus,
    db: Database,
    inbox: Table,
    group: str,
    handlers: Mapping[type[EventModel], EventHandler],
    *,
    erased: Table | None = None,
) -> None:
    """Consume every event type of ``handlers`` in consumer group ``group``, each applied once
    per event id (recorded in ``inbox`` under ``<group>:<event type>``). With ``erased``, an
    event about an account erased here is not applied (``platform/bus/erasure.py``)."""
    routes: dict[str, tuple[type[EventModel], Callable[[Envelope], Awaitable[None]]]] = {}
    for event_class, handler in handlers.items():
        if event_class.event_type in routes:
            raise ValueError(f"{event_class.event_type} is routed twice in group {group!r}")
        routes[event_class.event_type] = (
            event_class,
            idempotent(
                db,
                inbox,
                f"{group}:{event_class.event_type}",
                _parsed(event_class, handler)
                if erased is None
                else guarded(
                    erased,
                    event_class.event_type,
                    _parsed(event_class, handler),
                    lock_users=not db.is_sqlite,
                ),
            ),
        )

    async def route(envelope: Envelope) -> None:
        # A type with no handler here is retried, not parked: in a rolling deploy a newer
        # process of the group may be the one that knows it.
        _, apply = routes[envelope.type]
        await apply(envelope)

    bus.subscribe(group, sorted(routes), route)


def subscribe_stateless(
    bus: EventBus,
    group: str,
    handlers: Mapping[type[EventModel], Callable[[Any], Awaitable[None]]],
    *,
    broadcast: bool,
) -> None:
    """Handle the events of ``handlers`` without a transaction or an inbox: for state outside
    the database, where applying an event twice does no harm. With ``broadcast`` every process
    hears every event (state each process keeps in memory); else one process of the group."""
    parsed = {cls.event_type: (cls, handler) for cls, handler in handlers.items()}

    async def route(envelope: Envelope) -> None:
        event_class, handler = parsed[envelope.type]
        await handler(_read(event_class, envelope))

    bus.subscribe(group, sorted(parsed), route, broadcast=broadcast)


def _parsed(
    event_class: type[EventModel], handler: EventHandler
) -> Callable[[UnitOfWork, Envelope], Awaitable[None]]:
    async def apply(uow: UnitOfWork, envelope: Envelope) -> None:
        await handler(uow, _read(event_class, envelope))

    return apply


def _read(event_class: type[EventModel], envelope: Envelope) -> Any:
    """The envelope's event; ``Unreadable`` when its payload does not fit the class."""
    try:
        return event_class.model_validate(envelope.payload)
    except ValidationError as exc:
        raise Unreadable(f"{envelope.type} {envelope.id} does not fit its class: {exc}") from exc

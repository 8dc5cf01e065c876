"""Async database access on SQLite (embedded) or PostgreSQL (real), and the unit of work.

Services never commit. An endpoint (or a consumer) opens a unit of work, hands it to the
service, and the unit of work commits: the state change and the events it publishes (outbox
rows) land in one transaction, and after-commit callbacks run only once it has.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    event,
    text,
)
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import JSON, TypeDecorator

from disco.platform.clock import Clock, SystemClock
from disco.platform.errors import DiscoError
from disco.platform.observability import DB_TRANSACTION_SECONDS

__all__ = [
    "Database",
    "PublishableEvent",
    "UnitOfWork",
    "UtcDateTime",
    "inbox_table",
    "new_id",
    "outbox_table",
]

log = logging.getLogger(__name__)


def new_id() -> str:
    return str(uuid.uuid4())


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which has no time zones) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def outbox_table(metadata: MetaData, service: str) -> Table:
    """Events waiting to be published; written in the transaction that made them true."""
    return Table(
        f"{service}_outbox",
        metadata,
        Column(
            "seq",
            BigInteger().with_variant(Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(120), nullable=False),
        Column("event_version", Integer, nullable=False),
        Column("occurred_at", UtcDateTime(), nullable=False),
        Column("payload", JSON, nullable=False),
    )


def inbox_table(metadata: MetaData, service: str) -> Table:
    """Event ids a consumer has already applied: the guard that makes consumers idempotent."""
    return Table(
        f"{service}_inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("handler", String(120), primary_key=True),
        Column("handled_at", UtcDateTime(), nullable=False),
        # Rows are forgotten by age (``platform/bus/inbox.py`` ``forget_handled``).
        Index(f"ix_{service}_inbox_handled_at", "handled_at"),
    )


def erased_table(metadata: MetaData, service: str) -> Table:
    """Accounts this service erased, by a SHA-256 of their id (``platform/bus/erasure.py``)."""
    return Table(
        f"{service}_erased_users",
        metadata,
        Column("user_hash", String(64), primary_key=True),
        Column("erased_at", UtcDateTime(), nullable=False),
    )


class PublishableEvent(Protocol):
    """What the outbox needs of an event (``disco.contracts.events.Event`` is one)."""

    event_type: ClassVar[str]
    event_version: ClassVar[int]

    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


class UnitOfWork:
    """One transaction: the session, the events it publishes, and what runs after commit."""

    def __init__(
        self, session: AsyncSession, outbox: Table | None, name: str, clock: Clock
    ) -> None:
        self.session = session
        self.name = name
        self.clock = clock
        self._outbox = outbox
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self._events: list[dict[str, Any]] = []
        self.published = 0
        # Set by the inbox when this transaction applies a consumed event: when that event
        # happened, for projections that keep the latest state (an older event loses).
        self.event_time: datetime | None = None

    async def publish(self, evt: PublishableEvent, *, occurred_at: datetime | None = None) -> str:
        """Add ``evt`` to the outbox: written in this transaction, just before it commits."""
        if self._outbox is None:
            raise RuntimeError(f"{self.name}: this database has no outbox")
        event_id = new_id()
        self._events.append(
            {
                "event_id": event_id,
                "event_type": evt.event_type,
                "event_version": evt.event_version,
                "occurred_at": occurred_at or self.clock.now(),
                "payload": evt.model_dump(mode="json"),
            }
        )
        self.published += 1
        return event_id

    async def write_outbox(self) -> None:
        """One multi-row insert for every event published, in order (called before commit)."""
        if self._events and self._outbox is not None:
            await self.session.execute(self._outbox.insert(), self._events)
            self._events = []

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` once the transaction has committed; dropped on rollback."""
        self._after_commit.append(callback)


class Database:
    def __init__(
        self,
        url: str,
        *,
        service: str,
        outbox: Table | None = None,
        echo: bool = False,
        sqlite_single_connection: bool = False,
        pool_size: int = 30,
        pool_overflow: int = 0,
        clock: Clock | None = None,
    ):
        self.url = url
        self.service = service
        # Stamps what the database records of its own accord: when an event happened, when a
        # consumer applied it, when an account was erased.
        self.clock: Clock = clock or SystemClock()
        self.outbox = outbox
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
            if sqlite_single_connection:
                # SQLite has a single writer anyway, and writers that contend on its file lock
                # wait in its busy handler, which sleeps in steps of up to 100 ms. Queued here
                # instead, each transaction starts the moment the previous one ends. Only for a
                # service that never opens a unit of work inside another (it would wait for
                # itself until the pool's timeout).
                kwargs.update(pool_size=1, max_overflow=0)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_overflow, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Set by the outbox relay: lets a commit wake it instead of waiting for its next poll.
        self.on_publish: Callable[[], None] | None = None

    @asynccontextmanager
    async def unit_of_work(self, name: str) -> AsyncIterator[UnitOfWork]:
        started = time.perf_counter()
        refusal: DiscoError | None = None
        async with self._sessions() as session:
            uow = UnitOfWork(session, self.outbox, name, self.clock)
            try:
                yield uow
                await uow.write_outbox()
                await session.commit()
            except DiscoError as exc:
                if not exc.keep_changes:
                    await session.rollback()
                    raise
                await uow.write_outbox()
                await session.commit()
                # Committed all the same: its events and after-commit work go ahead below.
                refusal = exc
            except BaseException as exc:
                try:
                    await session.rollback()
                except Exception:
                    # A connection interrupted mid-statement (a cancellation, say) refuses the
                    # rollback; the pool discards it. What went wrong first is what the caller
                    # must see: a CancelledError replaced here is a stop that never happens.
                    log.warning("%s: rollback failed after %r", name, exc, exc_info=True)
                raise
            finally:
                DB_TRANSACTION_SECONDS.labels(self.service, name).observe(
                    time.perf_counter() - started
                )
        if uow.published and self.on_publish is not None:
            self.on_publish()
        for callback in uow._after_commit:
            try:
                await callback()
            except Exception:
                log.exception("after-commit callback of %s failed", name)
        if refusal is not None:
            raise refusal

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("select 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()

"""Nothing comes back after an account's erasure.

The bus keeps no order across redeliveries: a copy of an older event naming a user (a profile
update, a block, a match) may arrive after ``users.user.deleted`` and would recreate rows about
someone who is gone. Each consuming service keeps the accounts it erased, by a hash of their id
(so no row names them), and ``guarded`` acknowledges such a late event without applying it.

A consumer applies several events at once, so the erasure may also commit while an event about
the same user is being applied: on PostgreSQL (read committed) that event saw no erasure yet
and writes its row after the erasure deleted the user's rows. So each event first takes a
transaction lock per user it names (``pg_advisory_xact_lock``): shared for ordinary events,
which may run together, exclusive for the erasure, which waits for them and makes them wait.
SQLite needs no lock: a consumer's transaction writes its inbox row first
(``platform/bus/inbox.py``), which takes SQLite's one write lock until it commits, so the check
and the handler see everything committed before and nothing commits in between. Keep the inbox
write first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import Table, func, select

from disco.platform.bus.base import Envelope
from disco.platform.db import UnitOfWork
from disco.platform.repository import Repository

__all__ = ["ERASURE_EVENT", "guarded", "named_users"]

ERASURE_EVENT = "users.user.deleted"
_NAMING = ("user_id", "blocked_user_id", "other_user_id", "reporter_id", "reported_id")

Apply = Callable[[UnitOfWork, Envelope], Awaitable[None]]


def named_users(payload: Mapping[str, Any]) -> list[str]:
    """The user ids an event's payload names."""
    named = [str(payload[key]) for key in _NAMING if payload.get(key)]
    listed = payload.get("user_ids")
    if isinstance(listed, list):
        named.extend(str(user_id) for user_id in listed)
    return named


def _hash(user_id: str) -> str:
    return hashlib.sha256(user_id.encode()).hexdigest()


def _lock_key(user_hash: str) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks."""
    return int.from_bytes(bytes.fromhex(user_hash)[:8], "big", signed=True)


async def _lock_users(uow: UnitOfWork, hashes: list[str], *, exclusive: bool) -> None:
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    for key in sorted({_lock_key(user_hash) for user_hash in hashes}):  # one order: no deadlock
        await uow.session.execute(select(lock(key)))


def guarded(erased: Table, event_type: str, apply: Apply, *, lock_users: bool) -> Apply:
    """``apply``, except for an event about an erased account; the erasure itself is recorded
    in ``erased`` in the same transaction. ``lock_users`` on PostgreSQL (see above)."""

    async def run(uow: UnitOfWork, envelope: Envelope) -> None:
        if event_type == ERASURE_EVENT:
            user_hash = _hash(str(envelope.payload["user_id"]))
            if lock_users:
                await _lock_users(uow, [user_hash], exclusive=True)
            await apply(uow, envelope)
            await Repository(uow).insert_new(
                erased, {"user_hash": user_hash, "erased_at": uow.clock.now()}
            )
            return
        hashes = [_hash(user_id) for user_id in named_users(envelope.payload)]
        if hashes:
            if lock_users:
                await _lock_users(uow, hashes, exclusive=False)
            found = await uow.session.execute(
                select(erased.c.user_hash).where(erased.c.user_hash.in_(hashes)).limit(1)
            )
            if found.first() is not None:
                return  # a late copy of an event about an erased account
        await apply(uow, envelope)

    return run

"""Nothing comes back after an account's erasure.

The bus keeps no order across redeliveries: a copy of an older event naming a user (a profile
update, a block, a match) may arrive after ``users.user.deleted`` and would recreate rows about
someone who is gone. Each consuming service keeps the accounts it erased, by a hash of their id
(so no row names them), and ``guarded`` acknowledges such a late event without applying it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import Table, select

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


def guarded(erased: Table, event_type: str, apply: Apply) -> Apply:
    """``apply``, except for an event about an erased account; the erasure itself is recorded
    in ``erased`` in the same transaction."""

    async def run(uow: UnitOfWork, envelope: Envelope) -> None:
        if event_type == ERASURE_EVENT:
            await apply(uow, envelope)
            values = {
                "user_hash": _hash(str(envelope.payload["user_id"])),
                "erased_at": uow.clock.now(),
            }
            await Repository(uow).insert_new(erased, values)
            return
        hashes = [_hash(user_id) for user_id in named_users(envelope.payload)]
        if hashes:
            found = await uow.session.execute(
                select(erased.c.user_hash).where(erased.c.user_hash.in_(hashes)).limit(1)
            )
            if found.first() is not None:
                return  # a late copy of an event about an erased account
        await apply(uow, envelope)

    return run

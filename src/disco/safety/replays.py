"""Idempotency keys of the creates a person must never make twice: an alert, a check-in.

An app sends ``Idempotency-Key: <its own id for this request>`` with ``POST /v1/safety/alerts``
or ``/checkins`` and, when the answer does not come (a tunnel, a dropped connection, a second
tap), sends the same request with the same key again. The first request records its key in the
same transaction as what it creates, so a retry (even one racing the first: PostgreSQL makes
the second insert wait for the first's commit) finds it and answers with the same alert or
check-in; nothing is created or told twice. A key means one request: the same key with another
request is refused, since the app that sent it has lost track of what it asked for. Keys are
per person and per kind, and kept for a day (``retention.py``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Header
from sqlalchemy import delete, select

from disco.platform.clock import Clock
from disco.platform.db import UnitOfWork
from disco.platform.errors import ValidationFailed
from disco.platform.repository import Repository
from disco.platform.security import FieldCipher
from disco.safety import models as m

__all__ = ["KEYS_KEPT_FOR", "IdempotencyKey", "Replay", "RequestKeys", "fingerprint"]

KEYS_KEPT_FOR = timedelta(days=1)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_.:-]{1,128}$",
        description="The app's own id for this request: sent again, the first answer is given.",
    ),
]


@dataclass(frozen=True, slots=True)
class Replay:
    """What an earlier request with the same key made."""

    resource_id: str
    secret: str | None


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class RequestKeys:
    def __init__(self, cipher: FieldCipher, clock: Clock) -> None:
        self._cipher = cipher
        self._clock = clock

    async def claim(
        self,
        uow: UnitOfWork,
        user_id: str,
        kind: str,
        key: str,
        *,
        resource_id: str,
        request: str,
        secret: str | None = None,
    ) -> Replay | None:
        """None if ``key`` is new (``resource_id`` is now its answer, with ``secret`` kept
        sealed beside it); else what the first request with this key made. ``request`` is the
        request's fingerprint: another request under a used key is a 422."""
        sealed = self._cipher.encrypt_json({"request": request, "secret": secret})
        values = {
            "user_id": user_id,
            "kind": kind,
            "key": key,
            "resource_id": resource_id,
            "sealed": sealed,
            "created_at": self._clock.now(),
        }
        repo = _KeysRepository(uow)
        if await repo.insert_new(m.request_keys, values):
            return None
        resource_id_of_first, sealed_of_first = await repo.first(user_id, kind, key)
        first = self._cipher.decrypt_json(sealed_of_first)
        if first["request"] != request:
            raise ValidationFailed(
                "This Idempotency-Key was already used for a different request.",
                details=[{"field": "Idempotency-Key", "message": "used for another request"}],
            )
        return Replay(resource_id=resource_id_of_first, secret=first["secret"])

    async def erase_user(self, uow: UnitOfWork, user_id: str) -> None:
        await _KeysRepository(uow).erase_user(user_id)


class _KeysRepository(Repository):
    async def first(self, user_id: str, kind: str, key: str) -> tuple[str, str]:
        """The answer and sealed record of a key's first request (committed, or just now)."""
        k = m.request_keys.c
        query = select(k.resource_id, k.sealed).where(
            k.user_id == user_id, k.kind == kind, k.key == key
        )
        row = (await self._s.execute(query)).one()
        return str(row.resource_id), str(row.sealed)

    async def erase_user(self, user_id: str) -> None:
        await self.rowcount(delete(m.request_keys).where(m.request_keys.c.user_id == user_id))

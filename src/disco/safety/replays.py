"""Idempotency keys of the creates a person must never make twice: an alert, a check-in.

An app sends ``Idempotency-Key: <its own id for this request>`` with ``POST /v1/safety/alerts``
or ``/checkins`` and, when the answer does not come (a tunnel, a dropped connection, a second
tap), sends the same request with the same key again. The first request records its key in the
same transaction as what it creates, so a retry (even one racing the first: PostgreSQL makes
the second insert wait for the first's commit) finds it and answers with the same alert or
check-in; nothing is created or told twice. A key means one request: the same key with another
request is refused, since the app that sent it has lost track of what it asked for. Keys are
per person and per kind, and kept for a day (``retention.py``). A replay answers with what the
request made as it is now, without the alert's live link: that is only in the first answer
(and in the contacts' messages), since it is stored hashed and a replay must not tell anyone
holding the phone more than a read of the alert would.
"""

from __future__ import annotations

import hashlib
import json
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

__all__ = ["KEYS_KEPT_FOR", "IdempotencyKey", "RequestKeys", "fingerprint"]

KEYS_KEPT_FOR = timedelta(days=1)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_.:-]{1,128}$",
        description="The app's own id for this request: sent again, the first answer is given.",
    ),
]


def fingerprint(*parts: str | None) -> str:
    """What makes two requests the same request, as one digest (``None`` and "" differ)."""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


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
    ) -> str | None:
        """None if ``key`` is new (``resource_id`` is now its answer); else the id of what the
        first request with this key made. ``request`` is the request's fingerprint: another
        request under a used key is a 422.

        Keep this the first write of the transaction: on SQLite it then waits for the writer
        before it, rather than failing; on PostgreSQL an insert racing an uncommitted first
        one waits for its commit (or rollback, and then inserts)."""
        values = {
            "user_id": user_id,
            "kind": kind,
            "key": key,
            "resource_id": resource_id,
            # Sealed: a digest of a short message could be guessed back from it.
            "sealed_request": self._cipher.encrypt(request),
            "created_at": self._clock.now(),
        }
        repo = _KeysRepository(uow)
        while not await repo.insert_new(m.request_keys, values):
            first = await repo.first(user_id, kind, key)
            if first is None:  # deleted (a day old, or the account) since the insert: try again
                continue
            first_id, sealed_request = first
            if self._cipher.decrypt(sealed_request) != request:
                raise ValidationFailed(
                    "This Idempotency-Key was already used for a different request.",
                    details=[{"field": "Idempotency-Key", "message": "used for another request"}],
                )
            return first_id
        return None

    async def erase_user(self, uow: UnitOfWork, user_id: str) -> None:
        await _KeysRepository(uow).erase_user(user_id)


class _KeysRepository(Repository):
    async def first(self, user_id: str, kind: str, key: str) -> tuple[str, str] | None:
        """The answer of a key's first request and its sealed fingerprint, if it is still kept."""
        k = m.request_keys.c
        query = select(k.resource_id, k.sealed_request).where(
            k.user_id == user_id, k.kind == kind, k.key == key
        )
        row = (await self._s.execute(query)).first()
        return None if row is None else (str(row.resource_id), str(row.sealed_request))

    async def erase_user(self, user_id: str) -> None:
        await self.rowcount(delete(m.request_keys).where(m.request_keys.c.user_id == user_id))

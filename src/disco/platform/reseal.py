"""Re-encrypting stored secrets under the newest field key, so older keys can be retired.

Each service lists its encrypted columns; ``reseal`` walks each table in primary-key order, in
batches that are each their own transaction, and rewrites only the values not yet under the
newest key. A run cut short (a crash, a deploy) is simply run again: what it finished is
skipped, the rest is done, and a value is never left unreadable (the old key stays in the ring
until the run has completed everywhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import APIRouter
from sqlalchemy import Table, and_, select, tuple_, update

from disco.platform.db import Database
from disco.platform.security import FieldCipher

__all__ = ["Sealed", "reseal", "reseal_router"]

_BATCH = 200


@dataclass(frozen=True, slots=True)
class Sealed:
    """A table and its columns that hold field-cipher ciphertext."""

    table: Table
    columns: tuple[str, ...]


async def reseal(
    db: Database, cipher: FieldCipher, sealed: Sequence[Sealed], *, batch: int = _BATCH
) -> int:
    """Rewrite every value under an older key; the number of rows rewritten."""
    rewritten = 0
    for item in sealed:
        key = list(item.table.primary_key.columns)
        after: tuple[object, ...] | None = None
        while True:
            async with db.unit_of_work(f"reseal.{item.table.name}") as uow:
                query = select(*key, *(item.table.c[c] for c in item.columns)).order_by(*key)
                if after is not None:
                    query = query.where(tuple_(*key) > tuple_(*after))
                rows = list(await uow.session.execute(query.limit(batch)))
                for row in rows:
                    values = {
                        column: cipher.rotate(value)
                        for column, value in zip(item.columns, row[len(key) :], strict=True)
                        if value is not None and not cipher.under_newest_key(value)
                    }
                    if values:
                        where = and_(*(k == v for k, v in zip(key, row[: len(key)], strict=True)))
                        await uow.session.execute(update(item.table).where(where).values(values))
                        rewritten += 1
            if len(rows) < batch:
                break
            after = tuple(rows[-1][: len(key)])
    return rewritten


def reseal_router(
    service: str, db: Database, cipher: FieldCipher, sealed: Sequence[Sealed]
) -> APIRouter:
    """``POST /internal/<service>/encryption/rotate``, which ``disco keys rotate`` calls after
    a new key is put first in the ring: ``{"rotated": rows}``."""
    router = APIRouter(prefix=f"/{service}")

    @router.post("/encryption/rotate")
    async def rotate() -> dict[str, int]:
        return {"rotated": await reseal(db, cipher, sealed)}

    return router

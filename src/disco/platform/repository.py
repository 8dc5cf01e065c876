"""The one repository base: every service's SQL lives in a subclass of ``Repository``.

A repository is made for one unit of work (``UsersRepository(uow)``) and runs its statements
in that transaction; it never commits. The base knows the dialect once, and offers the few
statements whose spelling differs between SQLite and PostgreSQL (insert-or-update,
insert-or-ignore) so no subclass branches on the dialect itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from disco.platform.db import Database, UnitOfWork

__all__ = ["Repository", "delete_in_batches"]


class Repository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._s: AsyncSession = uow.session
        self.is_postgres = uow.session.get_bind().dialect.name == "postgresql"

    def insert(self, table: Table) -> Any:
        """``INSERT`` with the dialect's ``ON CONFLICT`` clauses available."""
        return (pg_insert if self.is_postgres else sqlite_insert)(table)

    async def upsert(
        self,
        table: Table,
        values: Mapping[str, Any],
        *,
        key: Sequence[str],
        update: Sequence[str] | None = None,
    ) -> None:
        """Insert ``values``, or update the row with the same ``key`` columns (every other
        column given, or just ``update``)."""
        changed = [c for c in (update if update is not None else values) if c not in key]
        statement = self.insert(table).values(**values)
        if changed:
            statement = statement.on_conflict_do_update(
                index_elements=list(key), set_={c: statement.excluded[c] for c in changed}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(key))
        await self._s.execute(statement)

    async def claim_version(
        self,
        table: Table,
        key: Mapping[str, Any],
        version: int,
        also: Mapping[str, Any] | None = None,
    ) -> bool:
        """For a consumer of versioned events about one entity (``key``, the table's primary
        key): record ``version`` as the newest applied and return True, or return False when
        this version or a newer one was applied already, so that a late event changes nothing.
        ``table`` has the key columns, ``version`` and any columns in ``also``. Version 0
        (events from before versions existed) is always applied, as it was then."""
        if version == 0:
            return True
        claimed = (
            self.insert(table)
            .values(**key, **(also or {}), version=version)
            .on_conflict_do_update(
                index_elements=list(key),
                set_={"version": version},
                where=table.c.version < version,
            )
        )
        return bool(await self.rowcount(claimed))

    async def next_version(self, table: Table, key: Mapping[str, Any]) -> int:
        """For a publisher of versioned events: raise the entity's version (from 1) and return
        it. ``table`` has the key columns and ``version``."""
        raised = (
            self.insert(table)
            .values(**key, version=1)
            .on_conflict_do_update(index_elements=list(key), set_={"version": table.c.version + 1})
        )
        await self._s.execute(raised)
        query = select(table.c.version).where(
            *(table.c[name] == value for name, value in key.items())
        )
        return int((await self._s.execute(query)).scalar_one())

    async def insert_new(self, table: Table, values: Mapping[str, Any]) -> bool:
        """Insert unless a row with the same primary or unique key exists; True if inserted."""
        result = await self._s.execute(self.insert(table).values(**values).on_conflict_do_nothing())
        return bool(getattr(result, "rowcount", 0))

    async def rowcount(self, statement: Any) -> int:
        result = await self._s.execute(statement)
        return int(getattr(result, "rowcount", 0))


async def delete_in_batches(
    db: Database, name: str, table: Table, *where: ColumnElement[bool], batch: int = 500
) -> int:
    """Delete the rows ``where`` says, a batch (by primary key) per transaction, so a large
    clean-up never holds one long transaction or its locks; how many went."""
    key = list(table.primary_key.columns)
    target = key[0] if len(key) == 1 else tuple_(*key)
    deleted = 0
    while True:
        async with db.unit_of_work(name) as uow:
            chosen = select(*key).where(*where).limit(batch)
            done = await Repository(uow).rowcount(delete(table).where(target.in_(chosen)))
        deleted += done
        if done < batch:
            return deleted

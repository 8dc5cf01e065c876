"""Each service's Alembic history makes exactly the tables its models declare: a column, index
or table added to a model without a migration (or the other way round) fails here, not on a
deployed database. Checked on SQLite, the embedded mode's engine."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine

import disco.safety.notify.models  # noqa: F401  (safety's dispatch tables share its metadata)
from disco.platform.migrations import upgrade
from disco.runtime.system import MODULES

WITH_TABLES = [name for name, module in MODULES.items() if module.migrations is not None]


def differences(service: str, metadata: MetaData, database: Path) -> list[object]:
    migrations = MODULES[service].migrations
    assert migrations is not None
    upgrade(service, f"sqlite+aiosqlite:///{database}", migrations)
    engine = create_engine(f"sqlite:///{database}")

    def ours(name: str | None, kind: str, _parent: object) -> bool:
        return kind != "table" or name in metadata.tables  # each service has its own tables

    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, kind, _: (
                        kind != "table" or name in metadata.tables
                    ),
                },
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", WITH_TABLES)
def test_the_migrations_make_the_models_tables(service: str, tmp_path: Path) -> None:
    metadata = importlib.import_module(f"disco.{service}.models").metadata
    assert differences(service, metadata, tmp_path / "db.sqlite3") == []

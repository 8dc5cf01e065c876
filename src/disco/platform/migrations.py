"""Alembic, one migration history per service, each with its own version table.

A service's ``migrations/env.py`` is two lines: it hands its metadata to ``run_env``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

__all__ = ["make_revision", "run_env", "upgrade"]


def _config(service: str, url: str, script_location: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("version_path_separator", "os")
    cfg.attributes["url"] = url
    cfg.attributes["version_table"] = f"alembic_version_{service}"
    return cfg


def upgrade(service: str, url: str, script_location: Path) -> None:
    """Bring ``service``'s tables to the newest revision. Blocking: call it from a thread."""
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(_config(service, url, script_location), "head")


def make_revision(service: str, url: str, script_location: Path, message: str) -> None:
    """Autogenerate a revision from the difference between the models and the database."""
    command.revision(_config(service, url, script_location), message=message, autogenerate=True)


def run_env(metadata: MetaData) -> None:
    config = context.config
    url: str = config.attributes["url"]
    version_table: str = config.attributes["version_table"]

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            # Only this service's tables are its business.
            include_name=lambda name, type_, _parent: type_ != "table" or name in metadata.tables,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())

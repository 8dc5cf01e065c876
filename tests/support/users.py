"""Users-service helpers: a signed-up user whose profile exists, and a look into every table."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

import asyncpg

from disco.client import DiscoClient
from disco.config import Settings
from disco.runtime import System
from tests.support.poll import eventually


async def profile_ready(client: DiscoClient) -> dict[str, Any]:
    """The caller's profile, once the users service has made it from ``auth.user.registered``."""

    async def made() -> bool:
        return (await client.request("GET", "/v1/users/me")).status_code == 200

    await eventually(made, what="the profile made on sign-up")
    me: dict[str, Any] = await client.get("/v1/users/me")
    return me


async def make_moderator(system: System, client: DiscoClient, email: str) -> None:
    """Grant ``email`` the moderator role, as ``disco roles grant`` does, and refresh ``client``
    (signed in as that user) so its access token carries the role."""
    response = await system.directory.client("auth").post(
        "/internal/auth/roles", json={"email": email, "role": "moderator"}
    )
    assert response.status_code == 204, response.text
    await client.refresh()


async def rows_naming(settings: Settings, needles: list[str]) -> list[str]:
    """``table: row`` for every row, in every service's tables, whose text contains a needle."""
    needles = [n.lower() for n in needles]
    found: list[str] = []
    if settings.database_url:
        conn = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
        try:
            tables = await conn.fetch(
                "select table_name from information_schema.tables where table_schema = 'public'"
            )
            for (table,) in tables:
                for row in await conn.fetch(f'select t::text as row from "{table}" t'):  # noqa: S608
                    if any(n in row["row"].lower() for n in needles):
                        found.append(f"{table}: {row['row']}")
        finally:
            await conn.close()
        return found
    for path in sorted(settings.data_dir.glob("*.sqlite3")):
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            tables = db.execute("select name from sqlite_master where type = 'table'").fetchall()
            for (table,) in tables:
                for row in db.execute(f'select * from "{table}"'):  # noqa: S608
                    text = repr(row).lower()
                    if any(n in text for n in needles):
                        found.append(f"{path.name} {table}: {row}")
    return found

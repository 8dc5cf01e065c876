"""Users-service helpers: a signed-up user whose profile exists, and a look into every table."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Awaitable
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from disco.client import DiscoClient
from disco.config import Settings
from disco.runtime import System
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running
from tests.support.poll import eventually


async def sign_up(client: DiscoClient, email: str, first_name: str, last_name: str) -> str:
    """Sign ``client`` up, as an app does; the user's id. The profile exists when this returns
    (auth makes it before answering), so the next request needs no wait."""
    pair = await client.signup(email, PASSWORD, first_name, last_name)
    user_id: str = pair["user"]["id"]
    return user_id


async def make_moderator(system: System, client: DiscoClient, email: str) -> None:
    """Grant ``email`` the moderator role, as ``disco roles grant`` does, and refresh ``client``
    (signed in as that user) so its access token carries the role."""
    response = await system.directory.client("auth").post(
        "/internal/auth/roles", json={"email": email, "role": "moderator"}
    )
    assert response.status_code == 204, response.text
    await client.refresh()


async def person(
    url: str,
    first_name: str,
    interests: list[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DiscoClient:
    """A new user's client (the caller closes it) whose profile exists, with ``interests``."""
    client = DiscoClient(url, transport=transport)
    await client.signup(unique_email(first_name.lower()), PASSWORD, first_name, "Tester")
    if interests:
        await client.patch("/v1/users/me", {"interests": interests})
    return client


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
        # Not mode=ro: a read-only connection cannot set up the WAL index of a database the
        # running system is writing, and fails with "disk I/O error". query_only keeps it a read.
        with closing(sqlite3.connect(path, timeout=30)) as db:
            db.execute("PRAGMA query_only = ON")
            tables = db.execute("select name from sqlite_master where type = 'table'").fetchall()
            for (table,) in tables:
                for row in db.execute(f'select * from "{table}"'):  # noqa: S608
                    text = repr(row).lower()
                    if any(n in text for n in needles):
                        found.append(f"{path.name} {table}: {row}")
    return found


def files_naming(root: Path, needles: list[str]) -> list[str]:
    """Every file under ``root`` (a running system's data directory) whose bytes contain a
    needle, live SQLite databases left out: search those with ``rows_naming``.

    Never open a live SQLite file (or its -wal/-shm) directly: closing any descriptor of it
    drops every POSIX lock this process holds on it, SQLite's included, and the next process
    that opens the database (``disco venues import``, say) believes it is the last one and
    deletes the WAL under the running system, which then fails with "disk I/O error" or reads
    stale pages. The databases are searched byte by byte after a stop in
    test_match_locations_at_rest.py.
    """
    raw = [n.encode() for n in needles]
    return [
        str(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and ".sqlite3" not in path.name
        and any(n in path.read_bytes() for n in raw)
    ]


# --- discovery (match service) ------------------------------------------------------------------
_spots = itertools.count()


def fresh_spot() -> tuple[float, float]:
    """A place no other test uses: 3.5 km apart (beyond two of the widest radius), all within
    40 km of each other, where a process's in-memory presence index is accurate."""
    n = next(_spots) % 64
    return 52.40 + 0.0315 * (n % 8), 13.20 + 0.052 * (n // 8)


def north_of(spot: tuple[float, float], metres: float) -> tuple[float, float]:
    return spot[0] + metres / 111_195.0, spot[1]


def matching_view(running: Running, user_id: str) -> Awaitable[Any]:
    """What the match service running in this process knows of a user (its Member)."""
    return running.system.apps["match"].state.discovery.members.get(user_id)


async def discoverable(
    running: Running,
    client: DiscoClient,
    *,
    interests: list[str],
    activities: list[str] | None = None,
    mode: str = "social",
    radius: int = 1609,
) -> str:
    """Set the caller's profile and preferences, switch discovery on, and wait until matching
    has them (they travel as users.* events). Returns the user's id."""
    assert client.user is not None
    user_id: str = client.user["id"]
    await client.patch(
        "/v1/users/me", {"interests": interests, "activities": activities or [], "mode": mode}
    )
    await client.put("/v1/users/me/preferences", {"discoveryRadiusMeters": radius})
    await client.put("/v1/discovery", {"enabled": True})

    async def projected() -> bool:
        member = await matching_view(running, user_id)
        candidate = member.candidate
        return (
            candidate is not None
            and candidate.interests == frozenset(interests)
            and candidate.mode == mode
            and member.radius_m == radius
        )

    await eventually(projected, what="the profile reaching matching")
    return user_id


async def onboard_at_once(client: DiscoClient, first_name: str) -> dict[str, Any]:
    """What every app does on first use, each request the moment the last one answered: sign
    up, fill the profile, set preferences, add an emergency contact, switch discovery on. Every
    answer must be a success: no request of the account's owner waits for a projection."""
    email = unique_email(first_name.lower())
    user_id = await sign_up(client, email, first_name, "Newcomer")
    await client.patch("/v1/users/me", {"interests": ["chess", "hiking"], "bio": "Hi"})
    await client.put("/v1/users/me/preferences", {"discoveryRadiusMeters": 800})
    contact = await client.post(
        "/v1/users/me/emergency-contacts",
        {"name": "Mum", "email": unique_email("mum")},
    )
    await client.put("/v1/discovery", {"enabled": True})
    me: dict[str, Any] = await client.get("/v1/users/me")
    assert me["id"] == user_id and me["interests"] == ["chess", "hiking"], me
    assert contact["status"] == "pending", contact
    return me

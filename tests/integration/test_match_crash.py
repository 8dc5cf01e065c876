"""A pair whose announcement died with the match process is told when it starts again.

Presence (Redis) counts an encounter the moment the second person's fix arrives; the two
``nearby`` frames and the encounter row are written a few milliseconds later, in the next group
commit (``match/discovery/announce.py``). The match service runs here as its own ``disco serve
match`` process; the test holds that commit back with a table lock, kills the process while it
waits, and starts it again. Without recovery the pair stays "in an encounter" in presence, so no
later fix tells them until they part and meet again.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from disco.client import DiscoClient
from tests.support.backends import waits_on_a_lock
from tests.support.poll import eventually
from tests.support.process import DiscoProcess, serving_apart
from tests.support.users import fresh_spot, north_of, person

pytestmark = pytest.mark.real

INTERESTS = ["chess", "jazz"]


async def switch_on(client: DiscoClient) -> None:
    await client.put("/v1/users/me/preferences", {"discoveryRadiusMeters": 500})
    await client.put("/v1/discovery", {"enabled": True})


async def placed(client: DiscoClient, spot: tuple[float, float]) -> bool:
    """Whether matching took the fix: it says ``profile_pending`` until the profile's event
    has reached it, and the app sends its next fix a moment later, as this does."""
    ack = await client.post("/v1/location", {"latitude": spot[0], "longitude": spot[1]})
    return bool(ack["accepted"])


async def killed_while_announcing(
    match: DiscoProcess, database: str, bob: DiscoClient, there: tuple[float, float]
) -> None:
    """Bob's fix makes the pair meet; the process dies while their announcement waits for its
    commit (held back by a lock on the table it writes)."""
    holder = await asyncpg.connect(f"postgresql://postgres@127.0.0.1/{database}")
    try:
        async with holder.transaction():
            await holder.execute("LOCK TABLE match_encounters IN SHARE MODE")
            await eventually(lambda: placed(bob, there), what="Bob placed")
            await eventually(
                lambda: waits_on_a_lock(holder, database, "INSERT INTO match_encounters"),
                what="the announcement's commit to wait on the lock",
            )
            match.kill()
            # The killed process's backend would otherwise sit on the lock queue until it
            # next wrote to its dead socket.
            await holder.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND wait_event_type = 'Lock'",
                database,
            )
    finally:
        await holder.close()


async def test_a_pair_whose_announcement_died_with_the_process_is_told_after_restart(
    tmp_path: Path,
) -> None:
    async with serving_apart("match", tmp_path) as (settings, running, match):
        assert settings.database_url is not None
        database = settings.database_url.rsplit("/", 1)[1]
        ada = await person(running.url, "Ada", INTERESTS)
        bob = await person(running.url, "Bob", INTERESTS)
        async with ada, bob, ada.socket() as ada_ws, bob.socket() as bob_ws:
            await switch_on(ada)
            await switch_on(bob)
            here = fresh_spot()
            await eventually(lambda: placed(ada, here), what="Ada placed")
            await killed_while_announcing(match, database, bob, north_of(here, 150))
            for socket in (ada_ws, bob_ws):  # nobody was told: nothing had committed
                with pytest.raises(TimeoutError):
                    await socket.expect("nearby", timeout=0.5)

            await match.start()
            told_ada = await ada_ws.expect("nearby", timeout=30)
            told_bob = await bob_ws.expect("nearby", timeout=30)
            assert told_ada["data"]["name"] == "Bob"
            assert told_bob["data"]["name"] == "Ada"
            for socket in (ada_ws, bob_ws):  # once each
                with pytest.raises(TimeoutError):
                    await socket.expect("nearby", timeout=2.0)
            # Their encounter goes on: the next fix tells nobody again.
            assert await placed(bob, north_of(here, 140))
            for socket in (ada_ws, bob_ws):
                with pytest.raises(TimeoutError):
                    await socket.expect("nearby", timeout=1.0)

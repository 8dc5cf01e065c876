"""Two people who met: the ``match_encounters`` row discovery writes when it tells a pair about
each other, written straight into the match service's table so a test can skip the walking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from disco.client import DiscoClient
from disco.match.models import encounters
from disco.runtime import System


async def record_encounter(
    system: System, a: DiscoClient, b: DiscoClient, ago_s: float = 0
) -> None:
    """Writes the pair's encounter as discovery does, ``ago_s`` seconds ago, without moving
    anyone around."""
    assert a.user is not None and b.user is not None
    low, high = sorted((str(a.user["id"]), str(b.user["id"])))
    met_at = datetime.now(UTC) - timedelta(seconds=ago_s)
    async with system.apps["match"].state.db.unit_of_work("test.record_encounter") as uow:
        e = encounters.c
        await uow.session.execute(encounters.delete().where(e.user_low == low, e.user_high == high))
        await uow.session.execute(
            encounters.insert().values(user_low=low, user_high=high, met_at=met_at)
        )

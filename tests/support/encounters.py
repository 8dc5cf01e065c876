"""Two people who met: the ``match_encounters`` row discovery writes when it tells a pair about
each other, written straight into the match service's table so a test can skip the walking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from disco.client import DiscoClient
from disco.match.models import encounters, profiles
from disco.runtime import System
from tests.support.poll import eventually


async def record_encounter(
    system: System, a: DiscoClient, b: DiscoClient, ago_s: float = 0
) -> None:
    """Writes the pair's encounter as discovery does, ``ago_s`` seconds ago, without moving
    anyone around. Discovery tells only people whose profiles it holds: so, first, until match
    holds both (it learns them from the users service's events)."""
    assert a.user is not None and b.user is not None
    low, high = sorted((str(a.user["id"]), str(b.user["id"])))
    db = system.apps["match"].state.db

    async def both_projected() -> bool:
        async with db.unit_of_work("test.profiles_projected") as uow:
            query = select(func.count()).where(profiles.c.user_id.in_([low, high]))
            return int((await uow.session.execute(query)).scalar_one()) == 2

    await eventually(both_projected, what="match to hold both profiles")
    met_at = datetime.now(UTC) - timedelta(seconds=ago_s)
    async with db.unit_of_work("test.record_encounter") as uow:
        e = encounters.c
        await uow.session.execute(encounters.delete().where(e.user_low == low, e.user_high == high))
        await uow.session.execute(
            encounters.insert().values(user_low=low, user_high=high, met_at=met_at)
        )

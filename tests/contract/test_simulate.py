"""``disco simulate``: its walkers sign up through the API, stream locations over their sockets
and are told about each other, so a person running ``disco up`` sees notifications happen."""

from __future__ import annotations

import pytest

from disco.client.simulate import Simulation
from tests.support.backends import Running
from tests.support.users import fresh_spot

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)


async def test_simulated_walkers_nearby_are_told_about_each_other(disco: Running) -> None:
    said: list[str] = []
    simulation = Simulation(
        disco.url, users=4, near=fresh_spot(), spread_m=60, interval_s=0.5, seed=3, say=said.append
    )
    seen = await simulation.run(duration_s=6)
    nearby = [line for line in said if "<- nearby:" in line]
    assert seen == len(nearby) > 0, said
    # Each line names the other walker and a bucket, never a position.
    assert all("within" in line and "sim-" in line for line in nearby), nearby
    assert not [line for line in said if "<- error" in line], said

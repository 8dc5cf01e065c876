"""``disco simulate``: its walkers sign up through the API, stream locations over their sockets
and are told about each other, so a person running ``disco up`` sees notifications happen."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from disco.client import DiscoClient
from disco.client.simulate import Simulation
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, serve
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


async def test_runs_of_walkers_cost_no_failed_logins(backend: str, tmp_path: Path) -> None:
    """A first run signs its walkers up rather than trying logins that fail (which the throttle
    counts against the address everyone on this machine shares), and a second run signs the
    same walkers back in. Afterwards, someone else at the same address signs in as usual."""
    async with backend_settings(
        backend,
        tmp_path,
        login_failures_per_ip=2,
        login_delay_seconds=600,  # were the address held up, it would stay so for the test
        login_max_delay_seconds=600,
    ) as settings:
        async with serve(settings) as running:
            for seed in (1, 2):
                simulation = Simulation(
                    running.url, users=3, near=fresh_spot(), interval_s=0.5, seed=seed, say=str
                )
                # A walker held up at sign-in retries for ever: bound the run, do not hang.
                async with asyncio.timeout(120):
                    await simulation.run(duration_s=0.5)
            email = unique_email("sim-neighbour")
            async with DiscoClient(running.url) as neighbour:
                await neighbour.signup(email, PASSWORD, "Nell", "Neighbour")
            async with DiscoClient(running.url) as new_device:
                assert (await new_device.login(email, PASSWORD))["token"]

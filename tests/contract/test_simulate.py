"""``disco simulate``: its walkers sign up through the API, stream locations over their sockets
and are told about each other, so a person running ``disco up`` sees notifications happen; with
chat on, those who meet match and talk."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from disco.client import DiscoClient
from disco.client.simulate import OPENERS, REPLIES, Simulation
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, serve
from tests.support.poll import eventually
from tests.support.users import fresh_spot

embedded_only = pytest.mark.parametrize("backend", ["embedded"], indirect=True)
# Seconds on an idle machine; the bound is for a loaded one (or a slow broker), and stays under
# the suite's per-test timeout.
WALK_BOUND_S = 200
# Walkers' radius: shown positions are displaced by about 90 m each, so a smaller radius would
# leave walkers a few metres apart out of range on some runs (by their random user ids).
MILE = 1609


async def walk_until(simulation: Simulation, done: Callable[[], bool], what: str) -> None:
    """Run the simulation until ``done()`` holds (or it fails, or the bound passes), then stop
    it; a walker's crash is raised."""
    run = asyncio.create_task(simulation.run())
    try:
        await eventually(lambda: run.done() or done(), timeout=WALK_BOUND_S, what=what)
    finally:
        simulation.stop()
        async with asyncio.timeout(30):
            await asyncio.gather(run, return_exceptions=True)
    if not run.cancelled() and run.exception() is not None:
        raise AssertionError(f"the simulation failed: {run.exception()!r}")


@embedded_only
async def test_simulated_walkers_nearby_are_told_about_each_other(disco: Running) -> None:
    said: list[str] = []
    simulation = Simulation(
        disco.url,
        users=4,
        near=fresh_spot(),
        spread_m=60,
        interval_s=0.5,
        seed=3,
        say=said.append,
        radii=[MILE],
    )
    await walk_until(simulation, lambda: simulation.notifications > 0, "a nearby frame")
    seen = simulation.notifications
    nearby = [line for line in said if "<- nearby:" in line]
    assert seen == len(nearby) > 0, said
    # Each line names the other walker and a bucket, never a position.
    assert all("within" in line and "sim-" in line for line in nearby), nearby
    assert not [line for line in said if "<- error" in line], said


@embedded_only
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


async def test_walkers_close_together_match_and_chat(disco: Running) -> None:
    """Two walkers a few metres apart hear of each other, express interest, match, and talk:
    an opener each (or a reply to the other's), then a reply to each message, three apiece.
    Their own accounts, so nothing an earlier test left (an encounter, a match) plays a part."""
    said: list[str] = []
    simulation = Simulation(
        disco.url,
        users=2,
        near=fresh_spot(),
        spread_m=20,
        interval_s=0.5,
        seed=3,
        say=said.append,
        chat=True,
        chat_pause_s=0.2,
        messages_per_chat=3,
        accounts=f"chat{uuid.uuid4().hex[:8]}",
        radii=[MILE],
    )
    first, second = simulation.walkers
    # The seed decides the profiles: these two share interests, so they are compatible.
    assert set(first.interests) & set(second.interests), simulation.walkers
    tallies = list(simulation.tallies.values())

    def talked_out() -> bool:
        return all(t.sent == t.received == 3 for t in tallies)

    try:
        await walk_until(simulation, talked_out, "three messages each way")
    except AssertionError as failed:
        raise AssertionError(f"{tallies} {said}") from failed
    assert talked_out(), (tallies, said)
    assert len(simulation.match_ids) == 1, said
    assert all(t.matches == 1 and t.nearby > 0 and t.errors == 0 for t in tallies), tallies
    for walker in simulation.walkers:  # each read what the other wrote, as written
        heard = [
            line
            for line in said
            if line.startswith(f"{walker.name} <- ") and line.endswith(OPENERS + REPLIES)
        ]
        assert len(heard) == 3, said
    assert not [line for line in said if "<- error" in line or " !! " in line], said
    summary = simulation.summary()
    assert "chat: 1 matches, 6 messages sent, 6 received" in summary, summary

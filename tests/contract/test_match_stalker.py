"""A stalker against the public API cannot place anyone within two snapping cells (issue 9).

Four people keep discovery on at home, a kilometre apart. The attacker has a probe account
with a 250 m radius and a decoy of its own beside each target, a rough idea of where each
target lives (within 100 m), and the whole HTTP API: it moves the probe wherever it likes
(switching discovery off and on to teleport when that works, waiting out the speed check when
not, exactly as long as the API makes it), reads the nearby list at every spot, and takes every
``nearby`` notification the socket brings. ``tests/support/stalker.py`` is the attack: binary
search of the bucket and membership edges along three rays, least-squares circle fits, and
(handed its own secret displacement, the one thing the API never shows) an exact solve for the
snapping cell each target is shown in.

Before the fix (membership decided on true positions, the speed check reset by a toggle) this
attacker recovered every target to within a metre; now its error stays above two cells.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from disco.client import DiscoClient
from disco.client.sdk import Socket
from disco.match.engine.geo import Displacement, haversine_m
from disco.platform.clock import FrozenClock
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox
from tests.support.stalker import Findings, LatLon, Look, Stalker, offset
from tests.support.users import discoverable, fresh_spot, person

PROBE_RADIUS_M = 250
PRESENCE_TTL_S = 600.0
# The attack needs under an hour of (waited) time; it must not straddle a UTC midnight, where
# every displacement changes.
ATTACK_BUDGET_S = 4 * 3600


@dataclass
class Resident:
    """Someone the attacker does not move: a target or a decoy, re-sending their fix now and
    then, as a phone in discovery mode does."""

    client: DiscoClient
    user_id: str
    spot: LatLon
    sent_at: float = -math.inf


@dataclass
class World:
    clock: FrozenClock
    residents: list[Resident] = field(default_factory=list)

    async def refresh(self) -> None:
        for resident in self.residents:
            if self.clock.timestamp() - resident.sent_at > PRESENCE_TTL_S / 3:
                ack = await resident.client.post("/v1/location", _fix(resident.spot))
                assert ack["accepted"] is True, ack
                resident.sent_at = self.clock.timestamp()

    async def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.refresh()


def _fix(spot: LatLon) -> dict[str, float]:
    return {"latitude": spot[0], "longitude": spot[1]}


class ApiEyes:
    """The probe, through the public API only."""

    def __init__(self, world: World, probe: DiscoClient, socket: Socket, speed_mps: float) -> None:
        self._world = world
        self._probe = probe
        self._socket = socket
        self._speed = speed_mps
        self.here: LatLon | None = None
        self.toggles_help: bool | None = None  # unknown until tried
        self.toggle_refused_until = -math.inf
        self.toggles = self.waited_s = self.frames = 0
        self._listed: set[str] = set()

    async def look_from(self, spot: LatLon) -> Look:
        await self._go(spot)
        listed = (await self._probe.get("/v1/discovery/nearby"))["nearby"]
        look = Look(spot, tuple((p["userId"], p["distance"]) for p in listed))
        # Whoever just came into range is announced too: the frame must say what the list says.
        # (Announced in any order when several came at once.)
        entered = {(uid, label) for uid, label in look.listed if uid not in self._listed}
        while entered:
            told = (await self._socket.expect("nearby", timeout=15))["data"]
            assert (told["userId"], told["distance"]) in entered, (told, entered)
            entered.discard((told["userId"], told["distance"]))
            self.frames += 1
        self._listed = {user_id for user_id, _ in look.listed}
        return look

    async def _go(self, spot: LatLon) -> None:
        for _ in range(20):
            ack = await self._probe.post("/v1/location", _fix(spot))
            if ack["accepted"]:
                self.here = spot
                return
            assert ack["reason"] == "implausible", ack
            if self.toggles_help is not False and await self._toggle():
                ack = await self._probe.post("/v1/location", _fix(spot))
                self.toggles_help = ack["accepted"]
                if ack["accepted"]:
                    self.here = spot
                    return
            assert self.here is not None
            travel = haversine_m(*self.here, *spot) / self._speed
            self.waited_s += travel + 1
            await self._world.wait(travel + 1)
        raise AssertionError("the probe could not get there")

    async def _toggle(self) -> bool:
        """Discovery off and on: it used to forget the last fix, so the next one could be
        anywhere. A refusal (429) says how long to leave it."""
        if self._world.clock.timestamp() < self.toggle_refused_until:
            return False
        for enabled in (False, True):
            response = await self._probe.request("PUT", "/v1/discovery", json={"enabled": enabled})
            if response.status_code == 429:
                retry_after = float(response.headers["retry-after"])
                self.toggle_refused_until = self._world.clock.timestamp() + retry_after
                if enabled:  # off went through: back on once allowed
                    await self._world.wait(retry_after)
                    await self._probe.put("/v1/discovery", {"enabled": True})
                self._listed = set()
                return False
            assert response.status_code == 200, response.text
        self.toggles += 1
        self._listed = set()  # out of presence and back: everyone listed next is new
        return True


@pytest.fixture
async def stalked(
    backend: str, mailbox: Mailbox, tmp_path: Path
) -> AsyncIterator[tuple[Running, FrozenClock]]:
    clock = FrozenClock(datetime.now(UTC))
    async with backend_settings(
        backend,
        tmp_path,
        smtp_url=mailbox.url,
        presence_ttl_seconds=PRESENCE_TTL_S,
        nearby_cooldown_seconds=0,  # every entry into range is announced: the most signal
        location_updates_per_minute=100_000,  # (real time) the budget is not what is tested
        access_token_ttl_seconds=3600,  # the clock runs ahead of the tokens' real-time expiry
    ) as settings:
        async with serve(settings, clock=clock) as running:
            yield running, clock


async def test_a_stalker_cannot_place_anyone_within_two_cells(
    stalked: tuple[Running, FrozenClock],
) -> None:
    running, clock = stalked
    settings = running.system.settings
    rng = random.Random(20_260_910)
    base = fresh_spot()
    homes = [
        offset(base, north + rng.uniform(-15, 15), east + rng.uniform(-15, 15))
        for north, east in ((0, 0), (0, 1000), (1000, 0), (1000, 1000))
    ]
    priors = [
        offset(home, 100 * math.sqrt(rng.random()) * math.cos(a), 100 * math.sin(a))
        for home in homes
        for a in [rng.uniform(0, 2 * math.pi)]
    ]
    world = World(clock)
    clients = [await person(running.url, name) for name in ("Mallory", "Tess", "Tom", "Tia", "Ted")]
    clients += [await person(running.url, f"Dee{i}") for i in range(4)]
    probe, targets, decoys = clients[0], clients[1:5], clients[5:]
    try:
        await discoverable(running, probe, interests=["chess"], radius=PROBE_RADIUS_M)
        for target, home in zip(targets, homes, strict=True):
            user_id = await discoverable(running, target, interests=["chess"])
            world.residents.append(Resident(target, user_id, home))
        decoy_spots = [offset(prior, 50, 0) for prior in priors]
        for decoy, spot in zip(decoys, decoy_spots, strict=True):
            user_id = await discoverable(running, decoy, interests=["chess"])
            world.residents.append(Resident(decoy, user_id, spot))
        midnight = (clock.now() + timedelta(days=1)).replace(hour=0, minute=0, second=0)
        if (midnight - clock.now()).total_seconds() < ATTACK_BUDGET_S:
            clock.advance((midnight - clock.now()).total_seconds() + 60)
        await world.refresh()

        # The hint: the attacker's own secret displacement (see tests/support/stalker.py).
        displacement: Displacement = running.system.apps["match"].state.displacement
        assert probe.user is not None
        probe_id = probe.user["id"]

        def probe_shown(spot: LatLon) -> LatLon:
            shown: LatLon = displacement.shown(probe_id, *spot, clock.timestamp())
            return shown

        results: list[dict[str, float]] = []
        async with probe.socket() as socket:
            eyes = ApiEyes(world, probe, socket, settings.location_max_speed_mps)
            for i, (home, prior) in enumerate(zip(homes, priors, strict=True)):
                target, decoy = world.residents[i], world.residents[4 + i]
                stalker = Stalker(
                    eyes,
                    target_id=target.user_id,
                    decoy_id=decoy.user_id,
                    probe_radius_m=PROBE_RADIUS_M,
                    cell_m=settings.location_snap_meters,
                    probe_shown=probe_shown,
                    decoy_shown=displacement.shown(decoy.user_id, *decoy.spot, clock.timestamp()),
                )
                findings: Findings = await stalker.attack(prior, first_ray=rng.uniform(0, 2))
                assert findings.listed_edge_fit is not None
                results.append(
                    {
                        "hinted": haversine_m(*findings.hinted, *home),
                        "fitted": haversine_m(*findings.fitted, *home),
                        "listed_edge": haversine_m(*findings.listed_edge_fit, *home),
                        "cells": len(findings.hinted_cells),
                        "probes": findings.probes,
                    }
                )
        probes = sum(int(r["probes"]) for r in results)
        print(
            f"\nstalker on {'real' if settings.database_url else 'embedded'}: {probes} probes,",
            f"{eyes.frames} nearby frames, {eyes.toggles} toggles, {eyes.waited_s:.0f} s waited",
        )
        for kind in ("hinted", "fitted", "listed_edge", "cells"):
            print(f"  {kind}: {[round(r[kind], 2) for r in results]}")
        assert 200 <= probes <= 600
        assert eyes.frames > 0, "the attack must have seen notifications"
        cell = settings.location_snap_meters
        assert statistics.median(r["hinted"] for r in results) > 2 * cell, results
    finally:
        for client in clients:
            await client.close()

"""Location privacy as a property of everything discovery shows (DESIGN.md section 6, issue 9).

The stalker of ``tests/support/stalker.py`` runs here against an in-process model of what the
match service shows: everyone placed in presence at their shown position (true position plus a
secret per-user, per-day offset, snapped), the nearby list ordered by bucket then id. It knows
the whole mechanism, everything but the server's secret; in the strongest variant it is even
handed its own displacement. The same attack runs against the real API in
``tests/contract/test_match_stalker.py``.
"""

from __future__ import annotations

import math
import random
import statistics

import pytest

from disco.match.engine.geo import (
    DISPLACEMENT_CELLS,
    WITHIN_TOLERANCE_M,
    Displacement,
    haversine_m,
    shown_bucket,
)
from disco.match.presence import MemoryPresence
from tests.support.stalker import LatLon, Look, Stalker, offset

CELL = 30.0
HOME = (51.5007, -0.1246)
PROBE_RADIUS_M = 250.0
DAY = 86_400 * 20_500 + 3_600  # one moment of one day: the offsets of that day


class ModelEyes:
    """The probe's view in an in-process model of the service: presence holds shown positions
    only, and the list is ordered by bucket, then (all scores equal here) by id."""

    def __init__(self, displacement: Displacement, residents: dict[str, LatLon]) -> None:
        self.displacement = displacement
        self.presence = MemoryPresence(ttl_s=1e9, cooldown_s=0, memory_s=1e9)
        self.residents = residents
        self.placed = False

    async def place_residents(self) -> None:
        for user_id, spot in self.residents.items():
            await self.presence.move(user_id, *self.shown(user_id, spot), 1609, at=DAY)

    def shown(self, user_id: str, spot: LatLon) -> LatLon:
        return self.displacement.shown(user_id, *spot, DAY)

    async def look_from(self, spot: LatLon) -> Look:
        if not self.placed:
            await self.place_residents()
            self.placed = True
        await self.presence.move("probe", *self.shown("probe", spot), PROBE_RADIUS_M, at=DAY)
        sightings = sorted(
            await self.presence.nearby("probe"), key=lambda s: (s.bucket.max_m, s.user_id)
        )
        return Look(spot, tuple((s.user_id, s.bucket.label) for s in sightings))


async def attack(
    displacement: Displacement, seed: int, *, hinted: bool = True
) -> tuple[float, float, LatLon, LatLon, list[LatLon]]:
    """One target near HOME; the attacker knows where it lives within 100 m. Returns the
    errors of the hinted and fitted estimates, the target, its shown cell and the cells the
    hinted solve kept."""
    rng = random.Random(seed)
    target = offset(HOME, rng.uniform(-150, 150), rng.uniform(-150, 150))
    angle = rng.uniform(0, 2 * math.pi)
    prior = offset(target, 100 * math.cos(angle), 100 * math.sin(angle))
    decoy = offset(prior, 50, 0)
    target_id, decoy_id = f"target-{seed}", f"decoy-{seed}"
    eyes = ModelEyes(displacement, {target_id: target, decoy_id: decoy})
    stalker = Stalker(
        eyes,
        target_id=target_id,
        decoy_id=decoy_id,
        probe_radius_m=PROBE_RADIUS_M,
        cell_m=CELL,
        probe_shown=(lambda spot: eyes.shown("probe", spot)) if hinted else None,
        decoy_shown=eyes.shown(decoy_id, decoy),
    )
    findings = await stalker.attack(prior, first_ray=rng.uniform(0, 2))
    assert 40 <= findings.probes <= 120
    shown = eyes.shown(target_id, target)
    return (
        haversine_m(*findings.hinted, *target) if hinted else math.nan,
        haversine_m(*findings.fitted, *target),
        target,
        shown,
        findings.hinted_cells,
    )


@pytest.mark.parametrize("trial", range(8))
async def test_the_strongest_attacker_finds_the_shown_cell_and_no_more(trial: int) -> None:
    """Handed its own displacement, the attacker solves exactly for the cell the target is
    shown in, and the target is not there: at least the offset less half a cell diagonal away,
    more than two cells."""
    displacement = Displacement(f"secret-{trial}".encode(), CELL)
    hinted, _, target, shown, cells = await attack(displacement, seed=trial)
    assert shown in cells and len(cells) <= 3
    assert haversine_m(*target, *shown) >= CELL * (DISPLACEMENT_CELLS[0] - math.sqrt(0.5)) - 0.5
    assert hinted > 2 * CELL


async def test_without_the_offset_the_same_attacker_finds_the_cell() -> None:
    """Why the offset exists: snapping alone gives the target's own cell away."""
    displacement = Displacement(b"secret", CELL, ring_cells=(0.0, 0.0))
    for seed in range(3):
        hinted, _, _, _, cells = await attack(displacement, seed=100 + seed)
        assert cells
        assert hinted <= CELL * math.sqrt(0.5) + 1.0


async def test_from_the_answers_alone_the_attacker_also_carries_its_own_offset() -> None:
    """Without the hint, what the attacker fits is the target's shown position moved by the
    attacker's own unknown offset: sometimes the two cancel, mostly not. Over many targets
    (fixed secrets and names, so the same every run) the median stays above two cells."""
    fitted = []
    for seed in range(24):
        displacement = Displacement(f"day-{seed}".encode(), CELL)
        _, error, _, _, _ = await attack(displacement, seed=1000 + seed, hinted=False)
        fitted.append(error)
    assert statistics.median(fitted) > 2 * CELL, sorted(fitted)


async def test_a_pair_is_in_range_both_ways_or_neither_from_shown_positions() -> None:
    """Both are told or neither: range and bucket are one function of the two shown positions."""
    rng = random.Random(7)
    displacement = Displacement(b"pairs", CELL)
    for n in range(300):
        presence = MemoryPresence(ttl_s=1e9, cooldown_s=0, memory_s=1e9)
        radii = (rng.choice([30, 150, 500, 1609]), rng.choice([30, 150, 500, 1609]))
        spots = [offset(HOME, rng.uniform(-900, 900), rng.uniform(-900, 900)) for _ in range(2)]
        shown = [displacement.shown(f"u{n}-{i}", *spots[i], DAY) for i in range(2)]
        await presence.move("a", *shown[0], radii[0], at=DAY)
        met = await presence.move("b", *shown[1], radii[1], at=DAY)
        in_range = haversine_m(*shown[0], *shown[1]) <= min(radii) + WITHIN_TOLERANCE_M
        assert met == (["a"] if in_range else [])
        a_sees = [s.user_id for s in await presence.nearby("a")]
        b_sees = [s.user_id for s in await presence.nearby("b")]
        assert (a_sees == ["b"]) is (b_sees == ["a"]) is in_range
        assert await presence.bucket("a", "b") == await presence.bucket("b", "a")
        assert await presence.bucket("a", "b") == shown_bucket(shown[0], shown[1])


def test_the_offset_is_stable_within_a_day_and_changes_between_days() -> None:
    displacement = Displacement(b"secret", CELL)
    morning = displacement.offset_m("u1", at=86_400 * 20 + 3_600)
    evening = displacement.offset_m("u1", at=86_400 * 20 + 80_000)
    tomorrow = displacement.offset_m("u1", at=86_400 * 21 + 3_600)
    assert morning == evening  # averaging a day's answers gains nothing
    assert morning != tomorrow
    assert displacement.offset_m("u2", at=86_400 * 20) != morning
    low, high = DISPLACEMENT_CELLS
    assert low * CELL <= math.hypot(*morning) <= high * CELL
    assert low - math.sqrt(0.5) > 2  # the floor of any attacker's error, in cells

"""A trilaterating attacker against what the presence port shows (DESIGN.md section 6).

The attacker runs a probe account it moves to any point it likes, and reads the distance bucket
it is shown for the target after each move. It knows the whole mechanism (the snapping grid, the
bucket edges, the size of the displacement), everything but the server's secret.
"""

from __future__ import annotations

import math
import random

import pytest

from disco.match.engine.geo import (
    DISPLACEMENT_CELLS,
    METRES_PER_DEGREE_LAT,
    Displacement,
    bucket_for,
    haversine_m,
    metres_per_degree_lon,
    snap_latlon,
)
from disco.match.presence import MemoryPresence

CELL = 30.0
HOME = (51.5007, -0.1246)


def offset(point: tuple[float, float], north: float, east: float) -> tuple[float, float]:
    return (
        point[0] + north / METRES_PER_DEGREE_LAT,
        point[1] + east / metres_per_degree_lon(point[0]),
    )


def probe_points(around: tuple[float, float]) -> list[tuple[float, float]]:
    """Every 20 m over a square 520 m wide, plus rings at the two finest bucket edges."""
    grid = [offset(around, n, e) for n in range(-260, 261, 20) for e in range(-260, 261, 20)]
    rings = [
        offset(around, r * math.cos(k * math.pi / 90), r * math.sin(k * math.pi / 90))
        for r in (152.4, 402.3)
        for k in range(180)
    ]
    return grid + rings


async def observe(
    displacement: Displacement, target: tuple[float, float], probes: list[tuple[float, float]]
) -> list[str]:
    presence = MemoryPresence(ttl_s=1e9, cooldown_s=0, displacement=displacement)
    await presence.move("target", *target, 1609, at=1_000.0)
    seen = []
    for step, probe in enumerate(probes, start=1):
        await presence.move("probe", *probe, 1609, at=1_000.0 + step)
        (sighting,) = await presence.nearby("probe")
        assert sighting.user_id == "target"
        seen.append(sighting.bucket.label)
    return seen


def consistent_cells(
    around: tuple[float, float], probes: list[tuple[float, float]], seen: list[str]
) -> list[tuple[float, float]]:
    """Centres of the snapping cells the target could be shown in, given every answer."""
    centres = {
        snap_latlon(*offset(around, n, e), CELL)
        for n in range(-600, 601, 10)
        for e in range(-600, 601, 10)
    }
    return [
        centre
        for centre in centres
        if all(
            bucket_for(haversine_m(*snap_latlon(*p, CELL), *centre)).label == label
            for p, label in zip(probes, seen, strict=True)
        )
    ]


async def attack(displacement: Displacement, target: tuple[float, float]) -> float:
    """The attacker's error: from its best estimate to where the target really is."""
    probes = probe_points(HOME)
    seen = await observe(displacement, target, probes)
    assert len(set(seen)) >= 2, "the probe walk must cross a bucket edge to be a real attack"
    cells = consistent_cells(HOME, probes, seen)
    assert cells, "the attacker's model of the mechanism must explain what it saw"
    # The cells it cannot tell apart are few: it has found where the target is *shown*.
    assert len(cells) <= 4
    estimate = (sum(c[0] for c in cells) / len(cells), sum(c[1] for c in cells) / len(cells))
    return haversine_m(*estimate, *target)


def targets(seed: int, count: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [offset(HOME, rng.uniform(-150, 150), rng.uniform(-150, 150)) for _ in range(count)]


@pytest.mark.parametrize("trial", range(8))
async def test_the_attacker_cannot_place_the_target_within_a_cell(trial: int) -> None:
    displacement = Displacement(f"secret-{trial}".encode(), CELL)
    (target,) = targets(trial, 1)
    error = await attack(displacement, target)
    # Shown = true + an offset of at least 1.85 cells, then snapped (half a diagonal at most).
    assert error > CELL
    assert error >= CELL * (DISPLACEMENT_CELLS[0] - math.sqrt(0.5)) - 1.0


async def test_without_the_offset_the_same_attacker_finds_the_cell() -> None:
    """Why the offset exists: snapping alone gives the target's own cell away."""
    displacement = Displacement(b"secret", CELL, ring_cells=(0.0, 0.0))
    for target in targets(99, 3):
        assert await attack(displacement, target) <= CELL * math.sqrt(0.5) + 1.0


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

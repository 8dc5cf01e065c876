"""Meeting spots place a partner no better than a shifted ~500 m cell: the cell kept for the
other person is taken after a secret shift per person and per day (safety/spots/service.py)."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import cast

from disco.platform.clock import FrozenClock
from disco.platform.context import ServiceContext
from disco.platform.kv.memory import MemoryKV
from disco.platform.security import FieldCipher
from disco.safety.spots.service import SpotsService, cell_center

HERE = (45.751234, 4.826789)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = (a[0] - b[0]) * 111_320
    east = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


def spots_at(clock: FrozenClock) -> SpotsService:
    ctx = SimpleNamespace(
        kv=MemoryKV(), clock=clock, cipher=FieldCipher([FieldCipher.generate_key()])
    )
    return SpotsService(cast(ServiceContext, ctx))


def test_the_cell_kept_for_the_partner_is_shifted_from_where_the_person_stands() -> None:
    spots = spots_at(FrozenClock(datetime(2026, 12, 6, 12, tzinfo=UTC)))
    kept = [spots.shown_cell(f"user-{n}", *HERE) for n in range(300)]
    unshifted = cell_center(*HERE)
    assert sum(cell != unshifted for cell in kept) >= 0.95 * len(kept)
    away = [metres(HERE, cell) for cell in kept]
    # Unshifted, the kept centre would be the same ~280 m from her whoever asks; shifted, it is
    # one of many cells around her, most of them twice as far, none beyond reach of a meetup.
    assert metres(HERE, unshifted) < 300
    assert 550 <= statistics.median(away) <= 900 and max(away) < 1_200


def test_the_shift_holds_for_a_day_and_changes_the_next() -> None:
    clock = FrozenClock(datetime(2026, 12, 6, 1, tzinfo=UTC))
    spots = spots_at(clock)
    morning = [spots.shown_cell(f"user-{n}", *HERE) for n in range(50)]
    clock.advance(timedelta(hours=20).total_seconds())
    assert [spots.shown_cell(f"user-{n}", *HERE) for n in range(50)] == morning
    clock.advance(timedelta(hours=4).total_seconds())
    tomorrow = [spots.shown_cell(f"user-{n}", *HERE) for n in range(50)]
    assert sum(a != b for a, b in zip(morning, tomorrow, strict=True)) >= 35

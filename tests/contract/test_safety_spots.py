"""Meeting spots: public places near the midpoint of two matched people's coarse cells, from
venues loaded with ``disco venues import``."""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from disco.config import Settings
from disco.safety.spots.repository import SpotsRepository
from disco.safety.spots.service import CELL_METERS, SHIFT_M, SPOT_SEARCH_METERS
from disco.safety.spots.venues import VenueFileError, parse_venues
from tests.support.backends import Running
from tests.support.poll import eventually
from tests.support.safety import matched
from tests.support.users import person, rows_naming

SAMPLE = Path(__file__).parents[2] / "src/disco/safety/data/venues-sample.geojson"
# Two people a couple of kilometres apart in the sample's city.
ADA = {"latitude": 45.751234, "longitude": 4.826789}
BOB = {"latitude": 45.776543, "longitude": 4.851987}


async def venues_import(settings: Settings, path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``disco venues import`` in its own process, as an operator would.

    Awaited, never run blocking: the system under test lives in this event loop, and a loop
    blocked while one of its transactions holds SQLite's write lock would keep that lock until
    the command gave up ("database is locked" after its busy timeout).
    """
    env = {
        **os.environ,
        "DISCO_DATA_DIR": str(settings.data_dir),
        "DISCO_ENVIRONMENT": "test",
        "DISCO_LOG_LEVEL": "WARNING",
    }
    if settings.database_url:
        env["DISCO_DATABASE_URL"] = settings.database_url
    command = [sys.executable, "-m", "disco", "venues", "import", str(path)]
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return subprocess.CompletedProcess(command, process.returncode, out.decode(), err.decode())


def feature(name: str, lat: float, lon: float, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": name, "category": "cafe", **extra},
    }


def meters(a: dict[str, float], b: dict[str, float]) -> float:
    d_lat = (a["latitude"] - b["latitude"]) * 111_320
    d_lon = (a["longitude"] - b["longitude"]) * 111_320 * math.cos(math.radians(a["latitude"]))
    return math.hypot(d_lat, d_lon)


async def test_spots_near_the_midpoint_only_for_the_pair(disco: Running, tmp_path: Path) -> None:
    done = await venues_import(disco.system.settings, SAMPLE)
    assert done.returncode == 0, done.stderr
    assert "imported 24 venues" in done.stderr
    again = await venues_import(disco.system.settings, SAMPLE)  # an upsert: nothing doubles
    assert again.returncode == 0, again.stderr

    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    eve = await person(disco.url, "Eve")
    match_id = await matched(disco.system, ada, bob)
    alone = await ada.get("/v1/safety/meeting-spots", params={"matchId": match_id, **ADA})
    assert alone["basis"] == "you" and alone["spots"]
    assert all(meters(ADA, s) < 2_500 for s in alone["spots"])

    both = await bob.get("/v1/safety/meeting-spots", params={"matchId": match_id, **BOB})
    assert both["basis"] == "both" and both["spots"]
    assert set(both) == {"basis", "spots"}  # venues only: no midpoint, no distances
    assert set(both["spots"][0]) == {"id", "name", "category", "latitude", "longitude"}
    names = [s["name"] for s in both["spots"]]
    assert names == sorted(names) and len(names) == len(set(names)) <= 10
    midpoint = {k: (ADA[k] + BOB[k]) / 2 for k in ADA}
    # Within the search box around the midpoint of the two cells kept, each taken after a
    # secret shift: the box's half-diagonal, plus how far the shift and the snap move it.
    reach = SPOT_SEARCH_METERS[0] * math.sqrt(2) + SHIFT_M[1] + CELL_METERS / math.sqrt(2)
    assert all(meters(midpoint, s) < reach for s in both["spots"])
    assert {s["id"] for s in both["spots"]} != {s["id"] for s in alone["spots"]}
    # Neither position is kept anywhere on disk.
    assert await rows_naming(disco.system.settings, ["45.751234", "45.776543"]) == []

    for params, code in [
        ({"matchId": match_id, **ADA}, 404),  # eve is not in the match
        ({"matchId": "no-such-match", **ADA}, 404),
    ]:
        response = await eve.request("GET", "/v1/safety/meeting-spots", params=params)
        assert response.status_code == code, params
    for params in [
        {"matchId": match_id},
        {"matchId": match_id, "latitude": 91, "longitude": 0},
        {"latitude": 1, "longitude": 1},
    ]:
        response = await ada.request("GET", "/v1/safety/meeting-spots", params=params)
        assert response.status_code == 422, params
    # Once they unmatch, there is nothing to meet about.
    await ada.delete(f"/v1/matches/{match_id}")

    async def gone() -> bool:
        response = await bob.request(
            "GET", "/v1/safety/meeting-spots", params={"matchId": match_id, **BOB}
        )
        return response.status_code == 404

    await eventually(gone, what="the ended match to have no spots")
    for client in (ada, bob, eve):
        await client.close()


async def test_the_import_waits_for_the_running_systems_writes(
    disco: Running, tmp_path: Path
) -> None:
    """The command shares the database with a running system: while one of the system's
    transactions holds the write lock (or, on PostgreSQL, the venue's row), it waits its turn
    and then succeeds, however long the system takes."""
    venue = feature("Busy Bee Café", -33.123, 151.456, id="busy-bee")
    file = tmp_path / "busy.geojson"
    file.write_text(json.dumps({"type": "FeatureCollection", "features": [venue]}))
    (row,) = parse_venues(file.read_text())
    now = datetime.now(UTC)
    async with disco.system.apps["safety"].state.db.unit_of_work("test.busy_writer") as uow:
        await SpotsRepository(uow).upsert_venues([{**row, "name": "Held"}], now)
        importing = asyncio.create_task(venues_import(disco.system.settings, file))
        await asyncio.sleep(2)
        assert not importing.done(), (await importing).stderr  # waiting, not refused
    done = await importing
    assert done.returncode == 0, done.stderr

    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    match_id = await matched(disco.system, ada, bob)
    there = {"latitude": -33.123, "longitude": 151.456}
    spots = await ada.get("/v1/safety/meeting-spots", params={"matchId": match_id, **there})
    assert [s["name"] for s in spots["spots"]] == ["Busy Bee Café"]  # the import came last
    await ada.close()
    await bob.close()


async def test_a_bad_venues_file_imports_nothing_and_says_why(
    disco: Running, tmp_path: Path
) -> None:
    # Far from everything else, so only this file could put a venue there.
    valid = feature("Lonely Lighthouse Café", -54.123, -67.456)
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [valid, feature("Nowhere", 95.0, 10.0), {"type": "Feature"}],
            }
        )
    )
    result = await venues_import(disco.system.settings, bad)
    assert result.returncode == 2
    assert "feature 1: coordinates out of range" in result.stderr
    assert "feature 2" in result.stderr and "nothing imported" in result.stderr
    for text in ("{not json", json.dumps({"type": "Feature"}), json.dumps([1, 2])):
        bad.write_text(text)
        assert (await venues_import(disco.system.settings, bad)).returncode == 2
    missing = await venues_import(disco.system.settings, tmp_path / "missing.geojson")
    assert missing.returncode == 2 and "cannot read" in missing.stderr

    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    match_id = await matched(disco.system, ada, bob)
    there = {"latitude": -54.123, "longitude": -67.456}
    spots = await ada.get("/v1/safety/meeting-spots", params={"matchId": match_id, **there})
    assert spots["spots"] == []

    good = tmp_path / "good.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [valid]}))
    assert (await venues_import(disco.system.settings, good)).returncode == 0
    spots = await ada.get("/v1/safety/meeting-spots", params={"matchId": match_id, **there})
    assert [s["name"] for s in spots["spots"]] == ["Lonely Lighthouse Café"]
    await ada.close()
    await bob.close()


def test_parse_venues_reports_every_problem() -> None:
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                feature("A", 1, 2, id="same"),
                feature("B", 1, 2, id="same"),
                feature("", 1, 2),
                {"type": "Feature", "geometry": {"type": "LineString"}, "properties": {}},
            ],
        }
    )
    with pytest.raises(VenueFileError) as err:
        parse_venues(text)
    problems = "\n".join(err.value.problems)
    assert "feature 1: id 'same' appears twice" in problems
    assert "feature 2: properties.name" in problems
    assert "feature 3: geometry must be a Point" in problems
    (venue,) = parse_venues(
        json.dumps({"type": "FeatureCollection", "features": [feature("A", 1, 2)]})
    )
    assert venue["name"] == "A" and venue["latitude"] == 1 and venue["longitude"] == 2

"""Discovery anywhere on Earth, in one process (issue 9, item 3).

Each test starts a fresh system, because what it checks is that nothing depends on the first
fix after start: the embedded index once took its map projection from it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from disco.client import DiscoClient
from disco.match.engine.geo import METRES_PER_DEGREE_LAT, metres_per_degree_lon
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox
from tests.support.users import discoverable, person

BERLIN = (52.52, 13.405)


def offset(point: tuple[float, float], north: float, east: float) -> tuple[float, float]:
    return (
        point[0] + north / METRES_PER_DEGREE_LAT,
        point[1] + east / metres_per_degree_lon(point[0]),
    )


@pytest.fixture
async def fresh(backend: str, mailbox: Mailbox, tmp_path: Path) -> AsyncIterator[Running]:
    async with backend_settings(backend, tmp_path, smtp_url=mailbox.url) as settings:
        async with serve(settings) as running:
            yield running


async def post_fix(client: DiscoClient, latitude: float, longitude: float) -> Any:
    response = await client.request(
        "POST", "/v1/location", json={"latitude": latitude, "longitude": longitude}
    )
    assert response.status_code < 500, response.text
    return response


async def listed(client: DiscoClient) -> dict[str, str]:
    return {p["name"]: p["distance"] for p in (await client.get("/v1/discovery/nearby"))["nearby"]}


async def test_a_first_fix_at_null_island_hides_no_one_in_berlin(fresh: Running) -> None:
    first, ada, bob = [await person(fresh.url, n) for n in ("Nil", "Ada", "Bob")]
    async with first, ada, bob:
        for client in (first, ada, bob):
            await discoverable(fresh, client, interests=["chess"])
        assert (await post_fix(first, 0.0, 0.0)).status_code == 202
        await post_fix(ada, *BERLIN)
        await post_fix(bob, *offset(BERLIN, 0, 1000))  # 1 km east
        assert set(await listed(ada)) == {"Bob"}
        assert set(await listed(bob)) == {"Ada"}


async def test_a_first_fix_in_the_arctic_stretches_no_one_s_distances(fresh: Running) -> None:
    first, ada, bob = [await person(fresh.url, n) for n in ("Nils", "Ada", "Bob")]
    async with first, ada, bob:
        for client in (first, ada, bob):
            await discoverable(fresh, client, interests=["chess"])
        assert (await post_fix(first, 80.0, 13.4)).status_code == 202
        await post_fix(ada, *BERLIN)
        await post_fix(bob, *offset(BERLIN, 0, 5000))  # 5 km east
        assert await listed(ada) == {}
        assert await listed(bob) == {}


async def test_every_valid_position_answers_without_a_server_error(fresh: Running) -> None:
    """Discovery reaches 85.05 degrees of latitude (Web Mercator's limit, and Redis GEO's):
    beyond, a fix is a 422 that says so. Longitude +-180 is the same meridian, and pairs
    across it meet like any other."""
    names = ("Ann", "Ben", "Cal", "Dot")
    clients = [await person(fresh.url, n) for n in names]
    ann, ben, cal, dot = clients
    try:
        for client in clients:
            await discoverable(fresh, client, interests=["chess"])
        # The first fix after start, next to the limit; a neighbour 300 m south sees Ann.
        assert (await post_fix(ann, 85.04, 13.4)).status_code == 202
        assert (await post_fix(ben, *offset((85.04, 13.4), -300, 0))).status_code == 202
        assert set(await listed(ben)) == {"Ann"}
        for latitude in (89.9, 90.0, -90.0, 85.06, -85.06):
            refused = await post_fix(cal, latitude, 0.0)
            assert refused.status_code == 422, latitude
            error = refused.json()["error"]
            assert error["code"] == "VALIDATION_ERROR"
            assert "85.05" in error["message"] or "85.05" in str(error["details"])
        # Either side of the antimeridian, 110 m apart.
        assert (await post_fix(cal, -17.7, 179.9995)).status_code == 202
        assert (await post_fix(dot, -17.7, -179.9995)).status_code == 202
        assert set(await listed(cal)) == {"Dot"}
        assert set(await listed(dot)) == {"Cal"}
        for longitude in (180.0, -180.0):
            assert (await post_fix(dot, -17.7, longitude)).status_code == 202
        # Events are public places: anywhere, poles included.
        starts = datetime.now(UTC) + timedelta(hours=1)
        for latitude, longitude in ((90.0, 180.0), (-90.0, -180.0), (85.04, 0.0)):
            event = {
                "title": "Meet-up",
                "startsAt": starts.isoformat(),
                "endsAt": (starts + timedelta(hours=2)).isoformat(),
                "latitude": latitude,
                "longitude": longitude,
            }
            created = await ann.request("POST", "/v1/events", json=event)
            assert created.status_code == 201, created.text
            near = await ann.request(
                "GET", "/v1/events/nearby", params={"latitude": latitude, "longitude": longitude}
            )
            assert near.status_code == 200, near.text
            assert created.json()["id"] in [e["id"] for e in near.json()["events"]]
    finally:
        for client in clients:
            await client.close()

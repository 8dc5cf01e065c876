"""Local events: created at a public place, found nearby, joined up to capacity, gone once over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from disco.client import DiscoClient
from disco.match.engine.geo import METRES_PER_DEGREE_LAT
from disco.platform.clock import FrozenClock
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox
from tests.support.users import person, rows_naming


@dataclass
class Town:
    """A system of its own whose clock moves only when a test says so."""

    disco: Running
    clock: FrozenClock

    def at(self, hours: float) -> str:
        return (self.clock.now() + timedelta(hours=hours)).isoformat()


@pytest.fixture(scope="module")
async def town(
    backend: str, mailbox: Mailbox, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Town]:
    # Now, so the tokens it issues are valid by the wall clock the verifier reads.
    clock = FrozenClock(datetime.now(UTC))
    data_dir = tmp_path_factory.mktemp(f"events-{backend}")
    async with backend_settings(backend, data_dir, smtp_url=mailbox.url) as settings:
        async with serve(settings, clock=clock) as running:
            yield Town(running, clock)


@pytest.fixture
async def ada(town: Town) -> AsyncIterator[DiscoClient]:
    async with await person(town.disco.url, "Ada") as client:
        yield client


@pytest.fixture
async def bob(town: Town) -> AsyncIterator[DiscoClient]:
    async with await person(town.disco.url, "Bob") as client:
        yield client


@pytest.fixture
async def cid(town: Town) -> AsyncIterator[DiscoClient]:
    async with await person(town.disco.url, "Cid") as client:
        yield client


def north_of(latitude: float, metres: float) -> float:
    return latitude + metres / METRES_PER_DEGREE_LAT


def event_at(town: Town, latitude: float, longitude: float, **extra: Any) -> dict[str, Any]:
    return {
        "title": "Chess in the park",
        "startsAt": town.at(1),
        "endsAt": town.at(3),
        "latitude": latitude,
        "longitude": longitude,
        **extra,
    }


async def nearby(
    client: DiscoClient, latitude: float, longitude: float, **params: Any
) -> list[str]:
    answer = await client.get(
        "/v1/events/nearby", params={"latitude": latitude, "longitude": longitude, **params}
    )
    return [event["id"] for event in answer["events"]]


async def mine(client: DiscoClient) -> list[str]:
    return [event["id"] for event in (await client.get("/v1/events"))["events"]]


async def test_an_event_is_created_and_its_host_attends(
    town: Town, ada: DiscoClient, bob: DiscoClient
) -> None:
    body = event_at(town, 48.8566, 2.3522, description="Bring a board", place="Jardin", capacity=8)
    created = await ada.post("/v1/events", body)
    assert created["title"] == "Chess in the park" and created["description"] == "Bring a board"
    assert (created["latitude"], created["longitude"]) == (48.8566, 2.3522)
    assert (created["place"], created["capacity"]) == ("Jardin", 8)
    assert datetime.fromisoformat(created["startsAt"]) == datetime.fromisoformat(body["startsAt"])
    assert (created["attendees"], created["joined"], created["hosting"]) == (1, True, True)
    assert await mine(ada) == [created["id"]]
    assert await mine(bob) == []


async def test_nearby_finds_upcoming_events_within_the_radius_nearest_first(
    town: Town, ada: DiscoClient, bob: DiscoClient
) -> None:
    here = (40.4168, -3.7038)
    near = await ada.post("/v1/events", event_at(town, north_of(here[0], 200), here[1]))
    far = await ada.post("/v1/events", event_at(town, north_of(here[0], 900), here[1]))

    answer = await bob.get("/v1/events/nearby", params={"latitude": here[0], "longitude": here[1]})
    found = [e for e in answer["events"] if e["id"] in (near["id"], far["id"])]
    assert [e["id"] for e in found] == [near["id"], far["id"]]
    assert [round(e["distanceMeters"], -1) for e in found] == [200, 900]
    assert (found[0]["joined"], found[0]["hosting"]) == (False, False)

    assert near["id"] in await nearby(bob, *here, radius=500)
    assert far["id"] not in await nearby(bob, *here, radius=500)
    assert await nearby(bob, *here, radius=100) == []
    # A mile south of both: out of reach at the widest radius.
    assert await nearby(bob, north_of(here[0], -1700), here[1]) == []


async def test_nearby_reaches_across_the_antimeridian(
    town: Town, ada: DiscoClient, bob: DiscoClient
) -> None:
    event = await ada.post("/v1/events", event_at(town, -16.5, 179.999))
    assert event["id"] in await nearby(bob, -16.5, -179.999, radius=500)
    assert event["id"] not in await nearby(bob, -16.5, -179.99, radius=500)


async def test_join_up_to_capacity_then_leave(
    town: Town, ada: DiscoClient, bob: DiscoClient, cid: DiscoClient
) -> None:
    event = await ada.post("/v1/events", event_at(town, 51.5072, -0.1276, capacity=2))
    path = f"/v1/events/{event['id']}"
    joined = await bob.post(f"{path}/join")
    assert (joined["attendees"], joined["joined"], joined["hosting"]) == (2, True, False)
    assert (await bob.post(f"{path}/join"))["attendees"] == 2  # joining twice is one place
    assert await mine(bob) == [event["id"]]

    full = await cid.request("POST", f"{path}/join")
    assert full.status_code == 409 and full.json()["error"]["code"] == "CONFLICT"
    assert await mine(cid) == []

    left = await bob.post(f"{path}/leave")
    assert (left["attendees"], left["joined"]) == (1, False)
    assert (await bob.post(f"{path}/leave"))["attendees"] == 1
    assert await mine(bob) == []
    assert (await cid.post(f"{path}/join"))["attendees"] == 2


async def test_the_last_place_goes_to_one_of_those_asking_at_once(
    town: Town, ada: DiscoClient
) -> None:
    event = await ada.post("/v1/events", event_at(town, 59.3293, 18.0686, capacity=2))
    crowd = [await person(town.disco.url, name) for name in ("Bea", "Cal", "Dan", "Eva")]
    try:
        answers = await asyncio.gather(
            *(c.request("POST", f"/v1/events/{event['id']}/join") for c in crowd)
        )
        assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
        assert [await mine(c) for c in crowd].count([event["id"]]) == 1
    finally:
        await asyncio.gather(*(c.close() for c in crowd))


async def test_events_of_a_blocked_host_do_not_exist(
    town: Town, ada: DiscoClient, bob: DiscoClient
) -> None:
    here = (52.52, 13.405)
    event = await ada.post("/v1/events", event_at(town, *here))
    assert event["id"] in await nearby(bob, *here)
    assert bob.user is not None
    await ada.post("/v1/users/me/blocks", {"userId": bob.user["id"]})
    assert event["id"] not in await nearby(bob, *here)
    assert (await bob.request("POST", f"/v1/events/{event['id']}/join")).status_code == 404


async def test_past_events_drop_off(town: Town, ada: DiscoClient, bob: DiscoClient) -> None:
    here = (41.9028, 12.4964)
    event = await ada.post("/v1/events", event_at(town, *here))
    path = f"/v1/events/{event['id']}"
    await bob.post(f"{path}/join")
    town.clock.advance(3 * 3600 - 1)  # a second before its end: still on
    try:
        assert event["id"] in await nearby(bob, *here)
        town.clock.advance(2)
        assert event["id"] not in await nearby(bob, *here)
        assert await mine(ada) == [] and await mine(bob) == []
        for action in ("join", "leave"):
            assert (await bob.request("POST", f"{path}/{action}")).status_code == 404
    finally:
        # Later tests sign people up: their tokens must not be issued from the future.
        town.clock.advance(-(3 * 3600 + 1))


async def test_bad_input_is_refused_and_changes_nothing(town: Town, ada: DiscoClient) -> None:
    here = (35.6762, 139.6503)
    good = event_at(town, *here)
    naive = (town.clock.now() + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    for change in (
        {"title": ""},
        {"title": "x" * 121},
        {"latitude": 91},
        {"longitude": -181},
        {"latitude": "north"},
        {"capacity": 0},
        {"endsAt": good["startsAt"]},
        {"endsAt": town.at(-1), "startsAt": town.at(-2)},  # over already
        {"endsAt": town.at(24 * 8)},  # longer than a week
        {"startsAt": town.at(24 * 400), "endsAt": town.at(24 * 400 + 1)},  # over a year ahead
        {"startsAt": "9999-12-31T20:00:00-05:00", "endsAt": "9999-12-31T23:00:00-05:00"},
        {"startsAt": naive},
        {"hostId": "someone"},
    ):
        response = await ada.request("POST", "/v1/events", json={**good, **change})
        assert response.status_code == 422, (change, response.text)
    for missing in ("title", "startsAt", "endsAt", "latitude", "longitude"):
        body = {k: v for k, v in good.items() if k != missing}
        assert (await ada.request("POST", "/v1/events", json=body)).status_code == 422
    for params in (
        {"longitude": here[1]},
        {"latitude": here[0], "longitude": here[1], "radius": 1610},
        {"latitude": here[0], "longitude": here[1], "radius": 0},
        {"latitude": "nan", "longitude": here[1]},
        {"latitude": here[0], "longitude": "inf"},
        {"latitude": here[0], "longitude": here[1], "limit": 0},
    ):
        response = await ada.request("GET", "/v1/events/nearby", params=params)
        assert response.status_code == 422, (params, response.text)
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (await ada.request("POST", f"/v1/events/{unknown}/join")).status_code == 404
    assert await mine(ada) == []
    assert await nearby(ada, *here) == []


async def test_the_point_searched_from_is_never_stored(town: Town, ada: DiscoClient) -> None:
    probe_latitude, probe_longitude = 12.3456789, 98.7654321
    await nearby(ada, probe_latitude, probe_longitude)
    assert await rows_naming(town.disco.system.settings, ["12.3456789", "98.7654321"]) == []

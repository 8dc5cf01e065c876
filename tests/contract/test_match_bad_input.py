"""Bad discovery input gets a clear 4xx (or a refused fix) and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from disco.client import DiscoClient
from tests.support.backends import Running
from tests.support.users import discoverable, fresh_spot, north_of, person


async def _status(client: DiscoClient, method: str, path: str, **kwargs: Any) -> int:
    response = await client.request(method, path, **kwargs)
    if response.status_code >= 400:
        assert response.json()["error"]["code"] in ("VALIDATION_ERROR", "CONFLICT", "RATE_LIMITED")
    return response.status_code


async def _nearby(client: DiscoClient) -> list[tuple[str, str]]:
    listed = (await client.get("/v1/discovery/nearby"))["nearby"]
    return [(p["userId"], p["distance"]) for p in listed]


async def test_bad_fixes_are_refused_and_move_no_one(disco: Running) -> None:
    here = fresh_spot()
    near = north_of(here, 90)
    ada = await person(disco.url, "Ada")
    bob = await person(disco.url, "Bob")
    async with ada, bob:
        await discoverable(disco, ada, interests=["chess"])
        bob_id = await discoverable(disco, bob, interests=["chess"])
        await ada.post("/v1/location", {"latitude": here[0], "longitude": here[1]})
        await bob.post("/v1/location", {"latitude": near[0], "longitude": near[1]})
        before = await _nearby(ada)
        assert [user for user, _ in before] == [bob_id]

        lat, lon = here
        future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        invalid: list[Any] = [
            {"latitude": 90.5, "longitude": lon},
            {"latitude": lat, "longitude": -180.01},
            {"latitude": str(lat), "longitude": lon},
            {"latitude": lat, "longitude": lon, "altitude": 30},
            {"latitude": lat},
            {"latitude": True, "longitude": lon},
            {"latitude": lat, "longitude": lon, "accuracy": 0},
            {"latitude": lat, "longitude": lon, "accuracy": -5},
            {"latitude": lat, "longitude": lon, "timestamp": future},
            {"latitude": lat, "longitude": lon, "timestamp": "2026-01-01T10:00:00"},  # no zone
            {"latitude": lat, "longitude": lon, "timestamp": "yesterday"},
            [lat, lon],
        ]
        for body in invalid:
            assert await _status(ada, "POST", "/v1/location", json=body) == 422, body
        for raw in (
            f'{{"latitude": NaN, "longitude": {lon}}}',
            f'{{"latitude": {lat}, "longitude": Infinity}}',
        ):
            status = await _status(
                ada,
                "POST",
                "/v1/location",
                content=raw,
                headers={"content-type": "application/json"},
            )
            assert status == 422, raw
        not_json = await _status(
            ada,
            "POST",
            "/v1/location",
            content="{lat",
            headers={"content-type": "application/json"},
        )
        assert not_json == 400

        # Received but not used: each answer says why, and Ada stays where she was.
        far = north_of(here, 10_000)
        jump = {"latitude": far[0], "longitude": far[1]}
        assert await ada.post("/v1/location", jump) == {"accepted": False, "reason": "implausible"}
        vague = {"latitude": far[0], "longitude": far[1], "accuracy": 5000}
        assert await ada.post("/v1/location", vague) == {"accepted": False, "reason": "inaccurate"}
        old = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        stale = {"latitude": lat, "longitude": lon, "timestamp": old}
        assert await ada.post("/v1/location", stale) == {"accepted": False, "reason": "stale"}

        assert await _nearby(ada) == before
        assert [user for user, _ in await _nearby(bob)] == [(ada.user or {})["id"]]


async def test_bad_discovery_switches_change_nothing(disco: Running) -> None:
    ada = await person(disco.url, "Ada")
    async with ada:
        await discoverable(disco, ada, interests=["chess"])
        before = await ada.get("/v1/discovery")
        assert before == {"enabled": True, "until": None}
        now = datetime.now(UTC)
        invalid: list[dict[str, Any]] = [
            {"enabled": "yes"},
            {"enabled": 1},
            {},
            {"enabled": False, "until": (now + timedelta(hours=1)).isoformat()},
            {"enabled": True, "until": (now - timedelta(minutes=1)).isoformat()},
            {"enabled": True, "until": (now + timedelta(hours=25)).isoformat()},
            {"enabled": True, "until": "2030-01-01T00:00:00"},  # no time zone
            {"enabled": True, "radius": 5},
        ]
        for body in invalid:
            assert await _status(ada, "PUT", "/v1/discovery", json=body) == 422, body
        assert await ada.get("/v1/discovery") == before


async def test_fixes_without_discovery_and_floods_are_refused(disco: Running) -> None:
    here = fresh_spot()
    ada = await person(disco.url, "Ada")
    async with ada:
        await discoverable(disco, ada, interests=["chess"])
        await ada.put("/v1/discovery", {"enabled": False})
        body = {"latitude": here[0], "longitude": here[1]}
        assert await _status(ada, "POST", "/v1/location", json=body) == 409
        async with ada.socket() as ws:
            await ws.send("location_update", body)
            error = await ws.expect("error")
            assert error["data"]["code"] == "CONFLICT"
            await ws.send("location_update", {**body, "altitude": 3})
            error = await ws.expect("error")
            assert error["data"]["code"] == "VALIDATION_ERROR"

        await ada.put("/v1/discovery", {"enabled": True})
        limit = disco.system.settings.location_updates_per_minute
        statuses = [await _status(ada, "POST", "/v1/location", json=body) for _ in range(limit - 2)]
        assert set(statuses) == {202}
        flood = await ada.request("POST", "/v1/location", json=body)
        assert flood.status_code == 429
        assert flood.json()["error"]["code"] == "RATE_LIMITED"
        assert int(flood.headers["retry-after"]) >= 1

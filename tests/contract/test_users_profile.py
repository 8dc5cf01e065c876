"""Profiles: made on sign-up, edited, shown to others only as far as their owner chose."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from disco.client import ApiError, DiscoClient
from tests.conftest import unique_email
from tests.support.backends import Running
from tests.support.poll import eventually
from tests.support.users import sign_up


async def _signed_up(disco: Running, first: str, last: str) -> DiscoClient:
    client = DiscoClient(disco.url)
    await sign_up(client, unique_email(first.lower()), first, last)
    return client


@pytest.fixture
async def ada(disco: Running) -> AsyncIterator[DiscoClient]:
    async with await _signed_up(disco, "Ada", "Lovelace") as c:
        yield c


@pytest.fixture
async def bob(disco: Running) -> AsyncIterator[DiscoClient]:
    async with await _signed_up(disco, "Bob", "Babbage") as c:
        yield c


def _id(client: DiscoClient) -> str:
    assert client.user is not None
    return str(client.user["id"])


async def test_a_profile_is_made_from_the_sign_up(ada: DiscoClient) -> None:
    me = await ada.get("/v1/users/me")
    assert me["id"] == _id(ada)
    assert (me["firstName"], me["lastName"]) == ("Ada", "Lovelace")
    assert me["mode"] == "social"
    assert me["interests"] == [] and me["deactivated"] is False
    preferences = await ada.get("/v1/users/me/preferences")
    assert preferences["discoveryRadiusMeters"] == 1609
    assert preferences["timeWindows"] == []


async def test_profile_edits_are_kept_and_interests_normalised(ada: DiscoClient) -> None:
    me = await ada.patch(
        "/v1/users/me",
        {
            "bio": "Engines, mostly.",
            "interests": ["  Rock   Climbing", "JS", "javascript", "Knitting"],
            "activities": ["coffee", "walk", "coffee"],
            "mode": "professional",
        },
    )
    assert me["interests"] == ["rock climbing", "javascript", "knitting"]
    assert me["activities"] == ["coffee", "walk"]
    assert me["mode"] == "professional"
    again = await ada.get("/v1/users/me")
    assert again["bio"] == "Engines, mostly." and again["interests"] == me["interests"]
    # Fields left out stay as they were.
    await ada.patch("/v1/users/me", {"lastName": "King"})
    assert (await ada.get("/v1/users/me"))["bio"] == "Engines, mostly."


async def test_a_stranger_sees_the_first_name_and_shared_interests_only(
    ada: DiscoClient, bob: DiscoClient
) -> None:
    await ada.patch("/v1/users/me", {"bio": "secret", "interests": ["chess", "jazz", "hiking"]})
    await bob.patch("/v1/users/me", {"interests": ["hike", "tennis"]})
    seen = await bob.get(f"/v1/users/{_id(ada)}")
    assert seen["firstName"] == "Ada"
    assert seen["sharedInterests"] == ["hiking"]
    assert seen["lastName"] is None and seen["bio"] is None and seen["interests"] is None
    assert seen["photoUrl"] is None


async def test_the_owner_chooses_what_strangers_see(ada: DiscoClient, bob: DiscoClient) -> None:
    everything = {
        "lastName": True,
        "bio": True,
        "photo": True,
        "allInterests": True,
        "activities": True,
    }
    await ada.patch(
        "/v1/users/me",
        {
            "bio": "Engines",
            "interests": ["chess"],
            "visibility": {"nearby": everything, "match": everything},
        },
    )
    seen = await bob.get(f"/v1/users/{_id(ada)}")
    assert seen["lastName"] == "Lovelace" and seen["bio"] == "Engines"
    assert seen["interests"] == ["chess"]


async def test_strangers_never_see_more_than_matches(ada: DiscoClient) -> None:
    shown = {"lastName": True, "bio": False, "photo": False, "allInterests": False}
    hidden = dict(shown, lastName=False)
    with pytest.raises(ApiError) as err:
        await ada.patch(
            "/v1/users/me",
            {
                "visibility": {
                    "nearby": dict(shown, activities=True),
                    "match": dict(hidden, activities=True),
                }
            },
        )
    assert err.value.status == 422 and err.value.code == "VALIDATION_ERROR"


async def test_deactivation_hides_the_profile_until_reactivated(
    ada: DiscoClient, bob: DiscoClient
) -> None:
    me = await ada.post("/v1/users/me/deactivate")
    assert me["deactivated"] is True
    with pytest.raises(ApiError) as err:
        await bob.get(f"/v1/users/{_id(ada)}")
    assert err.value.status == 404
    # Their own profile stays theirs to see and change.
    assert (await ada.get("/v1/users/me"))["deactivated"] is True
    await ada.post("/v1/users/me/reactivate")
    assert (await bob.get(f"/v1/users/{_id(ada)}"))["firstName"] == "Ada"


async def test_a_block_hides_both_ways_at_once(ada: DiscoClient, bob: DiscoClient) -> None:
    await ada.post("/v1/users/me/blocks", {"userId": _id(bob)})
    for viewer, target in ((bob, ada), (ada, bob)):
        with pytest.raises(ApiError) as err:
            await viewer.get(f"/v1/users/{_id(target)}")
        assert err.value.status == 404 and err.value.code == "NOT_FOUND"
    (block,) = (await ada.get("/v1/users/me/blocks"))["blocks"]
    # The blocker's list names whom they blocked (they knew); nobody else learns it.
    assert (block["userId"], block["firstName"]) == (_id(bob), "Bob")
    await ada.delete(f"/v1/users/me/blocks/{_id(bob)}")
    assert (await bob.get(f"/v1/users/{_id(ada)}"))["firstName"] == "Ada"
    assert (await ada.get("/v1/users/me/blocks"))["blocks"] == []


async def test_a_temporary_block_ends_by_itself(ada: DiscoClient, bob: DiscoClient) -> None:
    until = datetime.now(UTC) + timedelta(seconds=2)
    block = await ada.post("/v1/users/me/blocks", {"userId": _id(bob), "until": until.isoformat()})
    assert block["until"] is not None
    with pytest.raises(ApiError):
        await bob.get(f"/v1/users/{_id(ada)}")

    async def visible_again() -> bool:
        return (await bob.request("GET", f"/v1/users/{_id(ada)}")).status_code == 200

    await eventually(visible_again, timeout=15, what="the block to run out")
    assert (await ada.get("/v1/users/me/blocks"))["blocks"] == []


async def test_blocking_yourself_or_nobody_is_refused(ada: DiscoClient) -> None:
    with pytest.raises(ApiError) as err:
        await ada.post("/v1/users/me/blocks", {"userId": _id(ada)})
    assert err.value.status == 422
    with pytest.raises(ApiError) as err:
        await ada.post("/v1/users/me/blocks", {"userId": "00000000-0000-0000-0000-000000000000"})
    assert err.value.status == 404


async def test_privacy_zones_and_preferences_round_trip(ada: DiscoClient) -> None:
    zone = await ada.post(
        "/v1/users/me/privacy-zones",
        {"name": "home", "latitude": 51.5, "longitude": -0.12, "radiusMeters": 250},
    )
    assert (zone["latitude"], zone["longitude"], zone["radiusMeters"]) == (51.5, -0.12, 250)
    assert (await ada.get("/v1/users/me/privacy-zones"))["zones"] == [zone]
    await ada.delete(f"/v1/users/me/privacy-zones/{zone['id']}")
    assert (await ada.get("/v1/users/me/privacy-zones"))["zones"] == []
    body = {
        "discoveryRadiusMeters": 150,
        "timeWindows": [
            {"days": ["mon", "fri"], "start": "12:00", "end": "14:00", "tz": "Europe/London"},
            {"days": ["sat"], "start": "22:00", "end": "02:00", "tz": "Europe/London"},
        ],
        "ageRange": {"min": 25, "max": 40},
        "professionalOnly": True,
    }
    assert await ada.put("/v1/users/me/preferences", body) == body
    assert await ada.get("/v1/users/me/preferences") == body


async def test_a_temporary_zone_disappears_once_over(ada: DiscoClient) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=1)
    await ada.post(
        "/v1/users/me/privacy-zones",
        {
            "name": "hotel",
            "latitude": 48.85,
            "longitude": 2.35,
            "radiusMeters": 100,
            "expiresAt": soon.isoformat(),
        },
    )
    assert len((await ada.get("/v1/users/me/privacy-zones"))["zones"]) == 1
    await asyncio.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.1)
    assert (await ada.get("/v1/users/me/privacy-zones"))["zones"] == []

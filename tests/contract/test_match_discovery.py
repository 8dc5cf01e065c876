"""Discovery: compatible users who come within both radii are both told, with a bucket only."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from disco.client import ApiError, DiscoClient
from disco.client.sdk import Socket
from disco.contracts.events.users import BlockAdded, ProfileUpdated
from disco.match.engine.geo import BUCKETS
from disco.platform.bus import Envelope
from disco.platform.clock import FrozenClock
from tests.support.backends import Running, backend_settings, serve
from tests.support.faults import Gate
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.users import (
    discoverable,
    files_naming,
    fresh_spot,
    matching_view,
    north_of,
    person,
    rows_naming,
)

LABELS = {bucket.label for bucket in BUCKETS}
COORDINATE_WORDS = ("lat", "lon", "lng", "coord", "position", "meters", "metres")


async def locate(client: DiscoClient, spot: tuple[float, float], **extra: Any) -> dict[str, Any]:
    body = {"latitude": spot[0], "longitude": spot[1], **extra}
    ack: dict[str, Any] = await client.post("/v1/location", body)
    return ack


def assert_no_coordinates(data: Any, *spots: tuple[float, float]) -> None:
    text = json.dumps(data).lower()
    assert not any(word in text for word in COORDINATE_WORDS), text
    for spot in spots:
        assert f"{spot[0]:.4f}"[:7] not in text and f"{spot[1]:.4f}"[:7] not in text, text


async def test_two_compatible_users_near_each_other_are_both_told(disco: Running) -> None:
    here = fresh_spot()
    there = north_of(here, 120)
    ada = await person(disco.url, "Ada")
    bob = await person(disco.url, "Bob")
    async with ada, bob:
        ada_id = await discoverable(disco, ada, interests=["chess", "jazz", "hiking"])
        bob_id = await discoverable(
            disco, bob, interests=["jazz", "chess", "tennis"], activities=["coffee"]
        )
        async with ada.socket() as ada_ws, bob.socket() as bob_ws:
            assert await locate(ada, here) == {"accepted": True, "reason": None}
            # Bob's fix arrives over the socket, as the apps send them.
            await bob_ws.send("location_update", {"latitude": there[0], "longitude": there[1]})
            told_ada = (await ada_ws.expect("nearby"))["data"]
            told_bob = (await bob_ws.expect("nearby"))["data"]

        assert told_ada["userId"] == bob_id and told_ada["name"] == "Bob"
        assert told_bob["userId"] == ada_id and told_bob["name"] == "Ada"
        assert told_ada["sharedInterests"] == told_bob["sharedInterests"] == ["chess", "jazz"]
        assert told_ada["distance"] in LABELS and told_bob["distance"] in LABELS
        assert set(told_ada) == {"userId", "name", "sharedInterests", "distance"}
        assert_no_coordinates([told_ada, told_bob], here, there)

        listed = await ada.get("/v1/discovery/nearby")
        assert [p["userId"] for p in listed["nearby"]] == [bob_id]
        assert listed["nearby"][0]["distance"] in LABELS
        assert_no_coordinates(listed, here, there)
        assert [p["userId"] for p in (await bob.get("/v1/discovery/nearby"))["nearby"]] == [ada_id]

        # The pair met: recorded by ids and time only, for connection requests.
        met = [
            row for row in await rows_naming(disco.system.settings, [ada_id]) if "encounter" in row
        ]
        assert len(met) == 1 and bob_id in met[0]


async def test_only_eligible_pairs_are_told_and_listed(disco: Running) -> None:
    """Incompatible, other mode, blocked, in a privacy zone, discovery off: none is told. A
    compatible newcomer, told last, proves frames were flowing all along (frames arrive in
    the order they were published)."""
    here = fresh_spot()
    near = north_of(here, 80)
    names = ["Ada", "Ivan", "Pia", "Bea", "Zoe", "Olaf", "Gus"]
    clients = {name: await person(disco.url, name) for name in names}
    ada, ivan, pia, bea, zoe, olaf, gus = (clients[n] for n in names)
    try:
        ada_id = await discoverable(disco, ada, interests=["chess", "jazz"])
        await discoverable(disco, ivan, interests=["football"])  # nothing in common
        await discoverable(disco, pia, interests=["chess", "jazz"], mode="professional")
        bea_id = await discoverable(disco, bea, interests=["chess", "jazz"])
        zoe_id = await discoverable(disco, zoe, interests=["chess", "jazz"])
        await discoverable(disco, olaf, interests=["chess", "jazz"])
        gus_id = await discoverable(disco, gus, interests=["chess"])

        await ada.post("/v1/users/me/blocks", {"userId": bea_id})
        await eventually(
            lambda: _projected_block(disco, bea_id), what="the block reaching matching"
        )
        await zoe.post(
            "/v1/users/me/privacy-zones",
            {"name": "home", "latitude": near[0], "longitude": near[1], "radiusMeters": 200},
        )

        async def zone_known() -> bool:
            return bool((await matching_view(disco, zoe_id)).zones)

        await eventually(zone_known, what="the privacy zone reaching matching")
        await olaf.put("/v1/discovery", {"enabled": False})

        async with ada.socket() as ada_ws:
            assert (await locate(ada, here))["accepted"] is True
            for other in (ivan, pia, bea):
                assert (await locate(other, near))["accepted"] is True
            assert await locate(zoe, near) == {"accepted": False, "reason": "privacy_zone"}
            with pytest.raises(ApiError) as off:
                await locate(olaf, near)
            assert off.value.status == 409
            assert (await locate(gus, near))["accepted"] is True
            told = (await ada_ws.expect("nearby"))["data"]
            assert told["userId"] == gus_id, f"told about {told['name']} before Gus"

        listed = (await ada.get("/v1/discovery/nearby"))["nearby"]
        assert [p["userId"] for p in listed] == [gus_id]
        assert ada_id not in [
            p["userId"] for p in (await bea.get("/v1/discovery/nearby"))["nearby"]
        ]
    finally:
        for client in clients.values():
            await client.close()


async def _projected_block(disco: Running, blocked_id: str) -> bool:
    return any(
        "match_blocks" in row for row in await rows_naming(disco.system.settings, [blocked_id])
    )


async def test_switching_discovery_off_leaves_everyone_s_list_at_once(disco: Running) -> None:
    here = fresh_spot()
    ada = await person(disco.url, "Ada")
    bob = await person(disco.url, "Bob")
    async with ada, bob:
        await discoverable(disco, ada, interests=["python"])
        bob_id = await discoverable(disco, bob, interests=["python"])
        await locate(ada, here)
        await locate(bob, north_of(here, 50))
        assert [p["userId"] for p in (await ada.get("/v1/discovery/nearby"))["nearby"]] == [bob_id]
        assert await bob.put("/v1/discovery", {"enabled": False}) == {
            "enabled": False,
            "until": None,
        }
        assert await bob.get("/v1/discovery") == {"enabled": False, "until": None}
        assert (await ada.get("/v1/discovery/nearby"))["nearby"] == []


async def test_outside_their_time_windows_users_are_not_discoverable(disco: Running) -> None:
    here = fresh_spot()
    ada = await person(disco.url, "Ada")
    bob = await person(disco.url, "Bob")
    async with ada, bob:
        await discoverable(disco, ada, interests=["chess"])
        bob_id = await discoverable(disco, bob, interests=["chess"])
        # Every day, starting two hours from now: never now.
        start = datetime.now(UTC) + timedelta(hours=2)
        window = {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "start": start.strftime("%H:%M"),
            "end": (start + timedelta(hours=1)).strftime("%H:%M"),
            "tz": "UTC",
        }
        await bob.put(
            "/v1/users/me/preferences", {"discoveryRadiusMeters": 1609, "timeWindows": [window]}
        )

        async def windows_known() -> bool:
            candidate = (await matching_view(disco, bob_id)).candidate
            return candidate is not None and bool(candidate.time_windows)

        await eventually(windows_known, what="the time window reaching matching")
        await locate(ada, here)
        ack = await locate(bob, north_of(here, 30))
        assert ack == {"accepted": False, "reason": "outside_time_window"}
        assert (await ada.get("/v1/discovery/nearby"))["nearby"] == []


# --- time-driven rules, on a system with a clock of the test's own ------------------------------
@pytest.fixture
async def frozen(
    backend: str, mailbox: Mailbox, tmp_path: Path
) -> AsyncIterator[tuple[Running, FrozenClock]]:
    clock = FrozenClock(datetime.now(UTC))
    async with backend_settings(
        backend,
        tmp_path,
        smtp_url=mailbox.url,
        nearby_cooldown_seconds=300,
        presence_ttl_seconds=900,
    ) as settings:
        async with serve(settings, clock=clock) as running:
            yield running, clock


async def _nearby_about(socket: Socket) -> str:
    return str((await socket.expect("nearby"))["data"]["userId"])


async def test_a_pair_is_told_again_only_after_the_cool_down(
    frozen: tuple[Running, FrozenClock],
) -> None:
    running, clock = frozen
    here = fresh_spot()
    near, far = north_of(here, 100), north_of(here, 3000)
    ada = await person(running.url, "Ada")
    bob = await person(running.url, "Bob")
    carol = await person(running.url, "Carol")
    async with ada, bob, carol:
        await discoverable(running, ada, interests=["chess"])
        bob_id = await discoverable(running, bob, interests=["chess"])
        carol_id = await discoverable(running, carol, interests=["chess"])
        async with ada.socket() as ada_ws:
            await locate(ada, here)
            await locate(bob, near)
            assert await _nearby_about(ada_ws) == bob_id

            clock.advance(40)  # apart (3 km in 40 s is a car's speed, not a jump)
            assert (await locate(bob, far))["accepted"] is True
            await locate(ada, here)
            clock.advance(40)  # back after 40 s apart: well inside the 300 s cool-down
            assert (await locate(bob, near))["accepted"] is True
            await locate(carol, north_of(here, 60))
            assert await _nearby_about(ada_ws) == carol_id, "Bob was announced again too soon"

            clock.advance(40)
            await locate(bob, far)
            await locate(ada, here)
            clock.advance(400)  # apart for longer than the cool-down
            await locate(ada, here)
            await locate(bob, near)
            assert await _nearby_about(ada_ws) == bob_id


async def test_discovery_ends_by_itself_and_silent_users_expire(
    frozen: tuple[Running, FrozenClock],
) -> None:
    running, clock = frozen
    here = fresh_spot()
    ada = await person(running.url, "Ada")
    bob = await person(running.url, "Bob")
    async with ada, bob:
        await discoverable(running, ada, interests=["chess"])
        bob_id = await discoverable(running, bob, interests=["chess"])
        until = (clock.now() + timedelta(minutes=10)).isoformat()
        state = await bob.put("/v1/discovery", {"enabled": True, "until": until})
        assert state["enabled"] is True and datetime.fromisoformat(state["until"]) > clock.now()
        await locate(ada, here)
        await locate(bob, north_of(here, 40))
        assert [p["userId"] for p in (await ada.get("/v1/discovery/nearby"))["nearby"]] == [bob_id]

        clock.advance(11 * 60)  # past Bob's end time; Ada keeps sending
        await locate(ada, here)
        assert await bob.get("/v1/discovery") == {"enabled": False, "until": None}
        assert (await ada.get("/v1/discovery/nearby"))["nearby"] == []
        with pytest.raises(ApiError) as off:
            await locate(bob, north_of(here, 40))
        assert off.value.status == 409

        clock.advance(901)  # Ada went silent for longer than the presence TTL

        async def ada_gone() -> bool:
            presence = running.system.apps["match"].state.presence
            return not await presence.present((await ada.get("/v1/users/me"))["id"])

        await eventually(ada_gone, what="the sweep to expire a silent user")


async def test_locations_reach_no_table_file_or_log_and_deletion_erases_the_user(
    disco: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # Positions with many digits in both coordinates, so finding one is no coincidence (a
    # round longitude such as 13.356 would be found in any timestamp at hh:mm:13.356...).
    start_lat, start_lon = north_of(fresh_spot(), 123.456)
    here = (start_lat, start_lon + 0.000_987_654)
    there = north_of(here, 77.7)
    ada = await person(disco.url, "Ada")
    bob = await person(disco.url, "Bob")
    async with ada, bob:
        ada_id = await discoverable(disco, ada, interests=["chess"])
        bob_id = await discoverable(disco, bob, interests=["chess"])
        async with bob.socket() as bob_ws:
            await locate(ada, here, accuracy=12.5)
            await locate(bob, there)
            await bob_ws.expect("nearby")
        assert await rows_naming(disco.system.settings, [ada_id])

        needles = [repr(value)[:9] for value in (*here, *there)]
        assert all(len(n) == 9 for n in needles), needles
        assert await rows_naming(disco.system.settings, needles) == []
        assert files_naming(disco.system.settings.data_dir, needles) == []
        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert not any(n in logged for n in needles)

        await ada.delete("/v1/users/me")

        async def erased() -> bool:
            return not await rows_naming(disco.system.settings, [ada_id])

        await eventually(erased, what="every row naming the deleted user to go")
        assert (await bob.get("/v1/discovery/nearby"))["nearby"] == []
        assert await rows_naming(disco.system.settings, [bob_id]), "only Ada is erased"


async def test_a_pair_already_in_range_is_told_once_it_fits(disco: Running) -> None:
    """Ivan and Ada stand near each other with nothing in common; Ivan takes up chess. Both are
    told at once, without either moving (not only after they part and meet again), and a later
    change that keeps them a fit does not tell them twice."""
    here = fresh_spot()
    ada, ivan = await person(disco.url, "Ada"), await person(disco.url, "Ivan")
    async with ada, ivan:
        ada_id = await discoverable(disco, ada, interests=["chess"])
        ivan_id = await discoverable(disco, ivan, interests=["football"])
        async with ada.socket() as ada_ws, ivan.socket() as ivan_ws:
            await locate(ada, here)
            await locate(ivan, north_of(here, 60))
            assert (await ada.get("/v1/discovery/nearby"))["nearby"] == []

            await ivan.patch("/v1/users/me", {"interests": ["football", "chess"]})
            told_ada = (await ada_ws.expect("nearby"))["data"]
            told_ivan = (await ivan_ws.expect("nearby"))["data"]
            assert (told_ada["userId"], told_ivan["userId"]) == (ivan_id, ada_id)
            assert told_ada["sharedInterests"] == ["chess"]

            await ivan.patch("/v1/users/me", {"bio": "Now with a bio"})
            await ivan.patch("/v1/users/me", {"interests": ["chess"]})

            # Frames arrive in order: a fresh pair told after the changes proves none came.
            gus = await person(disco.url, "Gus")
            async with gus:
                gus_id = await discoverable(disco, gus, interests=["chess"])
                await locate(gus, north_of(here, -60))
                assert (await ada_ws.expect("nearby"))["data"]["userId"] == gus_id


async def test_an_event_redelivered_after_the_deletion_brings_nothing_back(
    disco: Running,
) -> None:
    """A late copy of an older users.* event (the broker redelivers; the bus keeps no order
    across redeliveries) arrives after users.user.deleted: matching applies none of it."""
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        ada_id = await discoverable(disco, ada, interests=["chess"])
        bob_id = await discoverable(disco, bob, interests=["chess"])
        await ada.delete("/v1/users/me")

        async def erased() -> bool:
            return not await rows_naming(disco.system.settings, [ada_id])

        await eventually(erased, what="every row naming the deleted user to go")
        before = datetime.now(UTC) - timedelta(minutes=1)
        late = [
            ProfileUpdated(
                user_id=ada_id, first_name="Ada", interests=["chess"], activities=[], mode="social"
            ),
            BlockAdded(user_id=bob_id, blocked_user_id=ada_id),
        ]
        ids = [str(uuid.uuid4()) for _ in late]
        for event_id, event in zip(ids, late, strict=True):
            envelope = Envelope(
                event_id, event.event_type, event.event_version, before, event.model_dump()
            )
            await disco.system.bus.publish(envelope)

        async def handled() -> bool:
            inbox = [row for row in await rows_naming(disco.system.settings, ids) if "match" in row]
            return len(inbox) == len(ids)

        await eventually(handled, what="matching to take both late events")
        assert await rows_naming(disco.system.settings, [ada_id]) == []


@pytest.mark.real
async def test_a_pair_whose_announcement_met_an_outage_is_told_once_it_ends(
    tmp_path: Path,
) -> None:
    """Redis fails between presence counting Bob and Ada's encounter and the announcement (the
    "told" mark is the first write after it): Bob's frame gets an error. Presence already has
    them in range, so no later fix starts an encounter; both are told once Redis is back,
    without either moving."""
    here = fresh_spot()
    async with Gate(6379).running() as redis:
        redis_url = f"redis://127.0.0.1:{redis.port}/0"
        async with backend_settings("real", tmp_path, redis_url=redis_url) as s:
            async with serve(s) as disco:
                ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
                async with ada, bob:
                    ada_id = await discoverable(disco, ada, interests=["chess"])
                    bob_id = await discoverable(disco, bob, interests=["chess"])
                    async with ada.socket() as ada_ws, bob.socket() as bob_ws:
                        await locate(ada, here)
                        redis.trip_on(b"match:told:")
                        there = north_of(here, 60)
                        fix = {"latitude": there[0], "longitude": there[1]}
                        await bob_ws.send("location_update", fix)
                        error = await bob_ws.expect("error", timeout=15)
                        assert error["data"]["code"] == "UNAVAILABLE"
                        redis.heal()

                        told_ada = (await ada_ws.expect("nearby", timeout=15))["data"]
                        told_bob = (await bob_ws.expect("nearby", timeout=15))["data"]
                        assert (told_ada["userId"], told_bob["userId"]) == (bob_id, ada_id)

"""Connections and matches: interest between people who met, mutual interest as a match."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from disco.client import DiscoClient
from disco.client.sdk import Socket
from disco.match.engine.geo import BUCKETS
from disco.platform.bus import Envelope
from disco.runtime import System
from tests.support.backends import Running, backend_settings
from tests.support.encounters import record_encounter
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.users import discoverable, fresh_spot, north_of, person, rows_naming


def uid(client: DiscoClient) -> str:
    assert client.user is not None
    return str(client.user["id"])


@dataclass
class People:
    disco: Running
    opened: list[DiscoClient]

    async def new(self, name: str, interests: list[str] | None = None) -> DiscoClient:
        client = await person(self.disco.url, name, interests)
        self.opened.append(client)
        return client

    async def met(self, a: DiscoClient, b: DiscoClient, ago_s: float = 0) -> None:
        await record_encounter(self.disco.system, a, b, ago_s)

    async def matched(self, a: DiscoClient, b: DiscoClient) -> str:
        """Meet, and both express interest: the match id."""
        await self.met(a, b)
        await a.post("/v1/connections", {"userId": uid(b)})
        answer = await b.post("/v1/connections", {"userId": uid(a)})
        assert answer["status"] == "accepted"
        return str(answer["matchId"])


@pytest.fixture
async def people(disco: Running) -> AsyncIterator[People]:
    crowd = People(disco, [])
    yield crowd
    await asyncio.gather(*(client.close() for client in crowd.opened))


async def status_of(client: DiscoClient, path: str, **kwargs: Any) -> int:
    return (await client.request("POST", path, **kwargs)).status_code


async def match_update(socket: Socket, status: str) -> dict[str, Any]:
    """The next ``match_update`` frame with this status (an earlier push may still arrive
    after the socket opened)."""
    while True:
        frame = await socket.expect("match_update", timeout=10)
        if frame["data"]["status"] == status:
            return dict(frame["data"])


async def test_interest_then_accept_is_a_match_on_both_sides(people: People) -> None:
    ada = await people.new("Ada", ["chess", "hiking", "jazz"])
    bob = await people.new("Bob", ["jazz", "chess", "rowing"])
    await people.met(ada, bob)
    async with ada.socket() as ada_socket, bob.socket() as bob_socket:
        asked = await ada.post("/v1/connections", {"userId": uid(bob)})
        assert asked["userId"] == uid(bob) and asked["name"] == "Bob"
        assert (asked["direction"], asked["status"], asked["matchId"]) == (
            "outgoing",
            "pending",
            None,
        )
        request = await bob_socket.expect("connection_request", timeout=10)
        assert request["data"] == {"connectionId": asked["id"], "userId": uid(ada)}

        (incoming,) = (await bob.get("/v1/connections"))["connections"]
        assert incoming["id"] == asked["id"] and incoming["userId"] == uid(ada)
        assert (incoming["direction"], incoming["status"]) == ("incoming", "pending")
        assert (await ada.get("/v1/matches"))["total"] == 0

        accepted = await bob.post(f"/v1/connections/{asked['id']}/accept")
        assert accepted["status"] == "accepted" and accepted["matchId"] == asked["id"]
        match_id = accepted["matchId"]

        to_ada = await match_update(ada_socket, "matched")
        to_bob = await match_update(bob_socket, "matched")
    assert to_ada == {"matchId": match_id, "userId": uid(bob), "status": "matched"}
    assert to_bob == {"matchId": match_id, "userId": uid(ada), "status": "matched"}

    for me, other, name in ((ada, bob, "Bob"), (bob, ada, "Ada")):
        page = await me.get("/v1/matches")
        assert (page["total"], page["hasMore"]) == (1, False)
        (match,) = page["matches"]
        assert match["id"] == match_id and match["userId"] == uid(other)
        assert match["name"] == name
        assert sorted(match["sharedInterests"]) == ["chess", "jazz"]
        # Neither is in discovery mode: no distance, and never a coordinate.
        assert match["distance"] is None
        assert set(match) == {
            "id",
            "userId",
            "name",
            "bio",
            "profileImage",
            "distance",
            "sharedInterests",
        }
        (connection,) = (await me.get("/v1/connections"))["connections"]
        assert (connection["status"], connection["matchId"]) == ("accepted", match_id)


async def test_mutual_interest_is_a_match(people: People) -> None:
    ada, bob = await people.new("Ada"), await people.new("Bob")
    await people.met(ada, bob)
    first = await ada.post("/v1/connections", {"userId": uid(bob)})
    second = await bob.post("/v1/connections", {"userId": uid(ada)})
    assert second["id"] == first["id"]
    assert (second["direction"], second["status"]) == ("incoming", "accepted")
    assert second["matchId"] == first["id"]
    for me, other in ((ada, bob), (bob, ada)):
        (match,) = (await me.get("/v1/matches"))["matches"]
        assert match["id"] == first["id"] and match["userId"] == uid(other)


async def test_interest_at_the_same_moment_is_one_match(people: People) -> None:
    for _ in range(3):
        ada, bob = await people.new("Ada"), await people.new("Bob")
        await people.met(ada, bob)
        answers = await asyncio.gather(
            ada.post("/v1/connections", {"userId": uid(bob)}),
            bob.post("/v1/connections", {"userId": uid(ada)}),
        )
        assert answers[0]["id"] == answers[1]["id"]
        assert "accepted" in {a["status"] for a in answers}
        for me in (ada, bob):
            (match,) = (await me.get("/v1/matches"))["matches"]
            assert match["id"] == answers[0]["id"]


async def test_repeating_changes_nothing(people: People) -> None:
    ada, bob = await people.new("Ada"), await people.new("Bob")
    await people.met(ada, bob)
    asked = [await ada.post("/v1/connections", {"userId": uid(bob)}) for _ in range(3)]
    assert {a["id"] for a in asked} == {asked[0]["id"]}
    assert len((await bob.get("/v1/connections"))["connections"]) == 1
    accepted = [await bob.post(f"/v1/connections/{asked[0]['id']}/accept") for _ in range(2)]
    assert accepted[0] == accepted[1]
    again = await ada.post("/v1/connections", {"userId": uid(bob)})
    assert again["status"] == "accepted"
    for me in (ada, bob):
        assert (await me.get("/v1/matches"))["total"] == 1
        assert len((await me.get("/v1/connections"))["connections"]) == 1


async def test_a_decline_is_silent_and_can_be_reconsidered(people: People) -> None:
    ada, bob = await people.new("Ada"), await people.new("Bob")
    await people.met(ada, bob)
    asked = await ada.post("/v1/connections", {"userId": uid(bob)})
    declined = await bob.post(f"/v1/connections/{asked['id']}/decline")
    assert declined["status"] == "declined"
    assert (await bob.post(f"/v1/connections/{asked['id']}/decline"))["status"] == "declined"

    # Ada is not told: her request still reads pending, and asking again changes nothing.
    (mine,) = (await ada.get("/v1/connections"))["connections"]
    assert (mine["id"], mine["status"]) == (asked["id"], "pending")
    assert (await ada.post("/v1/connections", {"userId": uid(bob)}))["status"] == "pending"
    (theirs,) = (await bob.get("/v1/connections"))["connections"]
    assert theirs["status"] == "declined"
    assert (await ada.get("/v1/matches"))["total"] == 0

    # Bob changes his mind.
    accepted = await bob.post(f"/v1/connections/{asked['id']}/accept")
    assert accepted["status"] == "accepted"
    assert (await ada.get("/v1/matches"))["total"] == 1
    # A match cannot be declined, only ended.
    response = await bob.request("POST", f"/v1/connections/{asked['id']}/decline")
    assert response.status_code == 409 and response.json()["error"]["code"] == "CONFLICT"
    assert (await ada.get("/v1/matches"))["total"] == 1


async def test_unmatch_ends_it_for_both_until_fresh_interest(people: People) -> None:
    ada, bob = await people.new("Ada"), await people.new("Bob")
    match_id = await people.matched(ada, bob)
    async with ada.socket() as ada_socket, bob.socket() as bob_socket:
        assert (await bob.request("DELETE", f"/v1/matches/{match_id}")).status_code == 204
        assert (await match_update(ada_socket, "ended"))["matchId"] == match_id
        assert (await match_update(bob_socket, "ended"))["userId"] == uid(ada)
    for me in (ada, bob):
        assert (await me.get("/v1/matches")) == {"matches": [], "total": 0, "hasMore": False}
        assert (await me.get("/v1/connections"))["connections"] == []
    assert (await ada.request("DELETE", f"/v1/matches/{match_id}")).status_code == 404

    # Ada's interest again is a request Bob must answer; it does not rematch them by itself.
    again = await ada.post("/v1/connections", {"userId": uid(bob)})
    assert again["status"] == "pending" and again["id"] != match_id
    assert (await bob.get("/v1/matches"))["total"] == 0
    assert (await bob.post(f"/v1/connections/{again['id']}/accept"))["status"] == "accepted"
    assert (await ada.get("/v1/matches"))["total"] == 1


async def test_interest_needs_a_recent_encounter_and_no_block(people: People) -> None:
    ada, bob, cid = await people.new("Ada"), await people.new("Bob"), await people.new("Cid")
    connect = "/v1/connections"
    # Never met; met too long ago; oneself; nobody at all.
    assert await status_of(ada, connect, json={"userId": uid(bob)}) == 404
    await people.met(ada, bob, ago_s=25 * 3600)
    assert await status_of(ada, connect, json={"userId": uid(bob)}) == 404
    assert await status_of(ada, connect, json={"userId": uid(ada)}) == 404
    nobody = "00000000-0000-4000-8000-000000000000"
    assert await status_of(ada, connect, json={"userId": nobody}) == 404
    assert (await ada.get("/v1/connections"))["connections"] == []

    # Met an hour ago: fine, until a block, which refuses both ways with the same answer.
    await people.met(ada, bob, ago_s=3600)
    await people.met(ada, cid)
    asked = await ada.post(connect, {"userId": uid(bob)})
    await bob.post("/v1/users/me/blocks", {"userId": uid(ada)})
    for me, other in ((ada, bob), (bob, ada)):
        response = await me.request("POST", connect, json={"userId": uid(other)})
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "No one you met nearby by that id."
        assert (await me.get("/v1/connections"))["connections"] == []
    assert await status_of(bob, f"{connect}/{asked['id']}/accept") == 404

    # Only the recipient answers a request; nobody answers an unknown one.
    to_cid = await ada.post(connect, {"userId": uid(cid)})
    assert await status_of(ada, f"{connect}/{to_cid['id']}/accept") == 404
    assert await status_of(ada, f"{connect}/{to_cid['id']}/decline") == 404
    assert await status_of(bob, f"{connect}/{to_cid['id']}/accept") == 404
    assert await status_of(cid, f"{connect}/{nobody}/accept") == 404
    (pending,) = (await cid.get("/v1/connections"))["connections"]
    assert pending["status"] == "pending"


async def test_someone_elses_match_is_not_yours(people: People) -> None:
    ada, bob, eve = await people.new("Ada"), await people.new("Bob"), await people.new("Eve")
    match_id = await people.matched(ada, bob)
    assert (await eve.request("DELETE", f"/v1/matches/{match_id}")).status_code == 404
    assert await status_of(eve, f"/v1/connections/{match_id}/accept") == 404
    assert (await eve.get("/v1/matches"))["total"] == 0
    assert (await ada.get("/v1/matches"))["total"] == 1


async def test_blocked_or_deactivated_matches_are_hidden(people: People) -> None:
    ada, bob, cid = await people.new("Ada"), await people.new("Bob"), await people.new("Cid")
    await people.matched(ada, bob)
    await people.matched(ada, cid)
    assert (await ada.get("/v1/matches"))["total"] == 2

    await ada.post("/v1/users/me/blocks", {"userId": uid(bob)})
    await cid.post("/v1/users/me/deactivate")
    assert (await ada.get("/v1/matches")) == {"matches": [], "total": 0, "hasMore": False}
    assert (await bob.get("/v1/matches"))["total"] == 0
    assert (await ada.get("/v1/connections"))["connections"] == []

    await cid.post("/v1/users/me/reactivate")
    (back,) = (await ada.get("/v1/matches"))["matches"]
    assert back["userId"] == uid(cid)


async def test_matches_page_newest_first(people: People) -> None:
    ada = await people.new("Ada")
    others = [await people.new(name) for name in ("Bob", "Cid", "Dee")]
    for other in others:
        await people.matched(ada, other)
    newest_first = [uid(o) for o in reversed(others)]

    first = await ada.get("/v1/matches", params={"limit": 2})
    assert (first["total"], first["hasMore"]) == (3, True)
    assert [m["userId"] for m in first["matches"]] == newest_first[:2]
    rest = await ada.get("/v1/matches", params={"limit": 2, "offset": 2})
    assert (rest["total"], rest["hasMore"]) == (3, False)
    assert [m["userId"] for m in rest["matches"]] == newest_first[2:]
    beyond = await ada.get("/v1/matches", params={"offset": 10})
    assert (beyond["matches"], beyond["total"], beyond["hasMore"]) == ([], 3, False)
    # Nobody is in discovery mode now, so nobody is within any radius.
    near = await ada.get("/v1/matches", params={"radius": 1609})
    assert (near["matches"], near["total"]) == ([], 0)


async def test_bad_input_is_refused_and_changes_nothing(people: People) -> None:
    ada, bob = await people.new("Ada"), await people.new("Bob")
    await people.met(ada, bob)
    for body in (
        {},
        {"userId": "not-an-id"},
        {"userId": "../../internal"},
        {"userId": 42},
        {"userId": uid(bob), "extra": True},
        [uid(bob)],
    ):
        response = await ada.request("POST", "/v1/connections", json=body)
        assert response.status_code == 422, (body, response.text)
    response = await ada.request(
        "POST", "/v1/connections", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"radius": 0},
        {"radius": 5000},
        {"radius": "near"},
        {"limit": "many"},
    ):
        response = await ada.request("GET", "/v1/matches", params=params)
        assert response.status_code == 422, (params, response.text)
    assert (
        await ada.request("GET", "/v1/connections", headers={"Authorization": ""})
    ).status_code == 401
    assert (await ada.get("/v1/connections"))["connections"] == []
    assert (await bob.get("/v1/connections"))["connections"] == []


async def test_a_deleted_account_leaves_nothing_behind(people: People) -> None:
    ada, bob, cid = await people.new("Ada"), await people.new("Bob"), await people.new("Cid")
    match_id = await people.matched(ada, bob)
    await people.met(ada, cid)
    await ada.post("/v1/connections", {"userId": uid(cid)})
    soon = datetime.now(UTC) + timedelta(hours=1)
    event = {
        "title": "Picnic",
        "startsAt": soon.isoformat(),
        "endsAt": (soon + timedelta(hours=2)).isoformat(),
        "latitude": 45.0,
        "longitude": 7.0,
    }
    await ada.post("/v1/events", event)
    bobs = await bob.post("/v1/events", event)
    await ada.post(f"/v1/events/{bobs['id']}/join")
    settings = people.disco.system.settings

    async def match_rows_naming_ada() -> list[str]:
        return [row for row in await rows_naming(settings, [uid(ada)]) if "match_" in row]

    async def forgotten() -> bool:
        return not await match_rows_naming_ada()

    assert await match_rows_naming_ada()
    async with bob.socket() as bob_socket:
        await ada.delete("/v1/users/me")
        ended = await match_update(bob_socket, "ended")
    assert ended == {"matchId": match_id, "userId": uid(ada), "status": "ended"}
    await eventually(forgotten, what="the match service to forget the user")
    assert (await bob.get("/v1/matches"))["total"] == 0
    assert (await cid.get("/v1/connections"))["connections"] == []
    (still,) = (await bob.get("/v1/events"))["events"]
    assert (still["id"], still["attendees"]) == (bobs["id"], 1)


async def test_matches_are_announced_for_the_chat(
    backend: str, mailbox: Mailbox, tmp_path: Path
) -> None:
    seen: list[Envelope] = []

    async def record(envelope: Envelope) -> None:
        seen.append(envelope)

    def payloads(event_type: str) -> list[dict[str, Any]]:
        return [e.payload for e in seen if e.type == event_type]

    async with backend_settings(backend, tmp_path, smtp_url=mailbox.url) as settings:
        system = System(settings)
        system.bus.subscribe("probe", ["match.#"], record)
        await system.start()
        try:
            transport = httpx.ASGITransport(app=system.front)
            async with (
                await person("http://disco.test", "Ada", transport=transport) as ada,
                await person("http://disco.test", "Bob", transport=transport) as bob,
            ):
                await record_encounter(system, ada, bob)
                asked = await ada.post("/v1/connections", {"userId": uid(bob)})
                await bob.post(f"/v1/connections/{asked['id']}/accept")
                await eventually(lambda: payloads("match.created") != [], what="match.created")
                await ada.delete(f"/v1/matches/{asked['id']}")
                await eventually(lambda: payloads("match.ended") != [], what="match.ended")
        finally:
            await system.stop()
    pair = [uid(ada), uid(bob)]
    assert payloads("match.connection.requested") == [
        {"connection_id": asked["id"], "requester_id": uid(ada), "recipient_id": uid(bob)}
    ]
    # With the names, so the chat shows them from its first moment (test_chat_messages.py).
    assert payloads("match.created") == [
        {
            "match_id": asked["id"],
            "user_ids": pair,
            "first_names": {uid(ada): "Ada", uid(bob): "Bob"},
        }
    ]
    assert payloads("match.ended") == [{"match_id": asked["id"], "user_ids": pair}]


async def test_people_discovery_introduced_match_and_see_how_near(people: People) -> None:
    """No shortcut: the encounter comes from discovery telling the pair about each other."""
    here = fresh_spot()
    ada, bob = await people.new("Ada"), await people.new("Bob")
    await discoverable(people.disco, ada, interests=["chess", "jazz"])
    await discoverable(people.disco, bob, interests=["jazz", "chess"])
    async with ada.socket() as ada_socket:
        await ada.post("/v1/location", {"latitude": here[0], "longitude": here[1]})
        there = north_of(here, 100)
        await bob.post("/v1/location", {"latitude": there[0], "longitude": there[1]})
        await ada_socket.expect("nearby", timeout=10)
    asked = await ada.post("/v1/connections", {"userId": uid(bob)})
    await bob.post(f"/v1/connections/{asked['id']}/accept")

    (match,) = (await ada.get("/v1/matches"))["matches"]
    bucket = next(b for b in BUCKETS if b.label == match["distance"])
    assert sorted(match["sharedInterests"]) == ["chess", "jazz"]
    assert (await ada.get("/v1/matches", params={"radius": bucket.max_m}))["total"] == 1
    lower = max((b.max_m for b in BUCKETS if b.max_m < bucket.max_m), default=0.0)
    if lower:  # a radius short of the bucket's inner edge leaves the match out
        assert (await ada.get("/v1/matches", params={"radius": lower}))["total"] == 0

    await bob.put("/v1/discovery", {"enabled": False})
    (gone,) = (await ada.get("/v1/matches"))["matches"]
    assert gone["distance"] is None
    assert (await ada.get("/v1/matches", params={"radius": 1609}))["total"] == 0

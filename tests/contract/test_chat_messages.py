"""Chat between two matched people, through the public API as their apps use it: rooms,
numbered and idempotent sends, live frames, catch-up and history, receipts, typing, closing."""

from __future__ import annotations

import asyncio

import pytest

from disco.client import ApiError
from tests.support.backends import Running
from tests.support.chat import chatting, ciphertext
from tests.support.poll import eventually
from tests.support.safety import uid
from tests.support.users import person


async def test_a_message_reaches_both_sockets_once_with_its_number(disco: Running) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        listed = (await bob.get("/v1/chats/rooms"))["rooms"]
        (mine,) = [r for r in listed if r["id"] == room]
        assert mine["peer"] == {
            "userId": uid(ada),
            "name": "Ada",
            "online": False,
            "lastSeen": None,
        }
        assert (mine["status"], mine["lastSeq"], mine["unread"]) == ("open", 0, 0)

        async with bob.socket() as bob_ws, ada.socket() as ada_ws:
            body = ciphertext()
            sent = await ada.post(
                f"/v1/chats/rooms/{room}/messages",
                {"ciphertext": body, "clientMessageId": "c-1", "senderDeviceId": "phone"},
            )
            assert sent["seq"] == 1 and sent["ciphertext"] == body
            assert sent["expiresAt"] > sent["sentAt"]
            for ws in (bob_ws, ada_ws):  # the sender's other devices hear of it too
                frame = await ws.expect("message")
                assert frame["data"]["id"] == sent["id"] and frame["data"]["seq"] == 1

            again = await ada.post(
                f"/v1/chats/rooms/{room}/messages", {"ciphertext": body, "clientMessageId": "c-1"}
            )
            assert again == sent  # a retry is the same message, not a second one
            second = await ada.post(f"/v1/chats/rooms/{room}/messages", {"ciphertext": body})
            assert second["seq"] == 2
            assert (await bob_ws.expect("message"))["data"]["seq"] == 2

        assert (await bob.get(f"/v1/chats/rooms/{room}"))["unread"] == 2
        page = await bob.get(f"/v1/chats/rooms/{room}/messages", params={"after": 0})
        assert [m["seq"] for m in page["messages"]] == [1, 2] and page["hasMore"] is False


async def test_catch_up_after_a_disconnect_has_no_gap_and_no_duplicate(disco: Running) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        path = f"/v1/chats/rooms/{room}/messages"
        async with bob.socket() as bob_ws:
            await ada.post(path, {"ciphertext": ciphertext()})
            last_seen = (await bob_ws.expect("message"))["data"]["seq"]
        # Bob is offline: 100 messages, some sent twice by a flaky network.
        sent = []
        for n in range(100):
            message = await ada.post(path, {"ciphertext": ciphertext(), "clientMessageId": f"m{n}"})
            if n % 10 == 0:
                assert await ada.post(path, {"ciphertext": "AAAA", "clientMessageId": f"m{n}"}) == (
                    message
                )
            sent.append(message["id"])
        got: list[dict[str, object]] = []
        after = last_seen
        while True:
            page = await bob.get(path, params={"after": after, "limit": 30})
            got += page["messages"]
            if not page["hasMore"]:
                break
            after = page["messages"][-1]["seq"]
        assert [m["id"] for m in got] == sent
        assert [m["seq"] for m in got] == list(range(2, 102))

        history = await bob.get(path, params={"before": 50, "limit": 10})
        assert [m["seq"] for m in history["messages"]] == list(range(40, 50))
        assert history["hasMore"] is True


async def test_receipts_and_typing_reach_the_peer_and_follow_privacy(disco: Running) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        base = f"/v1/chats/rooms/{room}"
        async with ada.socket() as ada_ws, bob.socket() as bob_ws:
            await ada.post(f"{base}/messages", {"ciphertext": ciphertext()})
            await bob_ws.expect("message")
            await bob.post(f"{base}/delivered", {"seq": 1})
            receipt = await ada_ws.expect("receipt")
            assert receipt["data"] == {
                "roomId": room,
                "userId": uid(bob),
                "kind": "delivered",
                "seq": 1,
            }
            await bob.post(f"{base}/read", {"seq": 1})
            assert (await ada_ws.expect("receipt"))["data"]["kind"] == "read"
            assert (await ada.get(base))["peerReadSeq"] == 1

            await bob_ws.send("typing", {"roomId": room, "typing": True})
            typing = await ada_ws.expect("typing")
            assert typing["data"] == {"roomId": room, "userId": uid(bob), "typing": True}

            # Bob keeps his reading and typing to himself: then he sees Ada's neither.
            settings = await bob.patch(
                "/v1/chats/settings", {"readReceipts": False, "typing": False}
            )
            assert settings == {"readReceipts": False, "typing": False, "presence": True}
            await ada.post(f"{base}/messages", {"ciphertext": ciphertext()})
            await bob_ws.expect("message")
            await ada_ws.expect("message")
            await bob.post(f"{base}/read", {"seq": 2})
            await bob_ws.send("typing", {"roomId": room, "typing": True})
            await ada_ws.send("typing", {"roomId": room, "typing": True})
            await ada.post(f"{base}/messages", {"ciphertext": ciphertext()})
            # The next frame each gets is the message: no receipt, no typing came before it.
            assert (await ada_ws.receive())["type"] == "message"
            assert (await bob_ws.receive())["type"] == "message"
            assert (await ada.get(base))["peerReadSeq"] is None
            assert (await bob.get(base))["peerReadSeq"] is None


async def test_only_members_see_a_room_and_a_closed_one_refuses_sends(disco: Running) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    eve = await person(disco.url, "Eve")
    async with ada, bob, eve:
        match_id, room = await chatting(disco.system, ada, bob)
        base = f"/v1/chats/rooms/{room}"
        await ada.post(f"{base}/messages", {"ciphertext": ciphertext()})
        for method, path, body in [
            ("GET", base, None),
            ("GET", f"{base}/messages", None),
            ("POST", f"{base}/messages", {"ciphertext": ciphertext()}),
            ("POST", f"{base}/read", {"seq": 1}),
            ("POST", f"{base}/typing", {"typing": True}),
            ("GET", f"{base}/media/00000000-0000-0000-0000-000000000000", None),
            ("GET", "/v1/chats/rooms/no-such-room/messages", None),
        ]:
            response = await eve.request(method, path, json=body)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "NOT_FOUND"
        assert all(r["id"] != room for r in (await eve.get("/v1/chats/rooms"))["rooms"])

        await ada.delete(f"/v1/matches/{match_id}")

        async def closed() -> bool:
            return (await bob.get(base))["status"] == "closed"

        await eventually(closed, what="the room to close after the unmatch")
        with pytest.raises(ApiError) as refused:
            await bob.post(f"{base}/messages", {"ciphertext": ciphertext()})
        assert refused.value.status == 409 and refused.value.code == "CONFLICT"
        # What was said stays readable to both until it expires (and can be reported).
        assert len((await ada.get(f"{base}/messages"))["messages"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ciphertext": "not base64!"}, "ciphertext"),
        ({"ciphertext": "QUJD"}, None),  # fine: a 3-byte envelope
        ({"ciphertext": "QUJ"}, "ciphertext"),  # padding missing
        ({}, "ciphertext"),
        ({"ciphertext": None}, "ciphertext"),
        ({"ciphertext": "QUJD", "clientMessageId": "x" * 65}, "clientMessageId"),
        ({"ciphertext": "QUJD", "mediaIds": ["nope"]}, "mediaIds"),
        ({"ciphertext": "QUJD", "extra": 1}, "extra"),
    ],
)
async def test_bad_sends_get_a_clear_error_and_store_nothing(
    disco: Running, body: dict[str, object], field: str | None
) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        path = f"/v1/chats/rooms/{room}/messages"
        response = await ada.request("POST", path, json=body)
        if field is None:
            assert response.status_code == 201
            return
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert any(field in (d.get("field") or "") for d in error["details"]), error
        assert (await bob.get(path))["messages"] == []


async def test_a_body_over_64_kib_is_refused(disco: Running) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        path = f"/v1/chats/rooms/{room}/messages"
        fits = await ada.request("POST", path, json={"ciphertext": ciphertext(64 * 1024)})
        assert fits.status_code == 201
        over = await ada.request("POST", path, json={"ciphertext": ciphertext(64 * 1024 + 1)})
        assert over.status_code == 422
        assert over.json()["error"]["details"][0]["field"] == "ciphertext"


async def test_concurrent_retries_of_one_send_make_one_message(disco: Running) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        path = f"/v1/chats/rooms/{room}/messages"
        body = {"ciphertext": ciphertext(), "clientMessageId": "same"}
        answers = await asyncio.gather(*(ada.post(path, body) for _ in range(8)))
        assert len({a["id"] for a in answers}) == 1
        assert len((await bob.get(path))["messages"]) == 1

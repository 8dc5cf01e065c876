"""Presence (online, last seen) from the sockets people hold, shared reciprocally; a push with
no content for someone whose app is closed, one per burst."""

from __future__ import annotations

from pathlib import Path

from tests.support.backends import Running, backend_settings, serve
from tests.support.chat import chatting, ciphertext
from tests.support.poll import eventually
from tests.support.providers import Provider
from tests.support.safety import moderator, uid
from tests.support.users import person


async def test_peers_see_each_other_come_and_go_unless_either_keeps_it_private(
    disco: Running,
) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        async with bob.socket() as bob_ws:
            async with ada.socket():
                came = await bob_ws.expect("presence")
                assert came["data"]["userId"] == uid(ada) and came["data"]["online"] is True
                assert (await bob.get(f"/v1/chats/rooms/{room}"))["peer"]["online"] is True
            went = await bob_ws.expect("presence")
            assert went["data"]["online"] is False and went["data"]["lastSeen"]
            peer = (await bob.get(f"/v1/chats/rooms/{room}"))["peer"]
            assert peer["online"] is False and peer["lastSeen"] == went["data"]["lastSeen"]

            # Ada hides her presence: Bob sees neither it nor a change; nor does she see his.
            await ada.patch("/v1/chats/settings", {"presence": False})
            async with ada.socket():
                hidden = await bob.get(f"/v1/chats/rooms/{room}")
                assert hidden["peer"]["online"] is None and hidden["peer"]["lastSeen"] is None
                assert (await ada.get(f"/v1/chats/rooms/{room}"))["peer"]["online"] is None
                await ada.post(f"/v1/chats/rooms/{room}/messages", {"ciphertext": ciphertext()})
                # The message is the next frame: no presence frame came before it.
                assert (await bob_ws.receive(timeout=10))["type"] == "message"


async def test_an_offline_recipient_gets_one_push_per_burst_without_content(
    backend: str, tmp_path: Path
) -> None:
    push = Provider()
    push.start()
    try:
        async with backend_settings(
            backend, tmp_path, push_url=push.url, push_key=push.key, chat_push_collapse_seconds=3600
        ) as settings:
            async with serve(settings) as running:
                ada, bob = await person(running.url, "Ada"), await person(running.url, "Bob")
                async with ada, bob:
                    _, room = await chatting(running.system, ada, bob)
                    await bob.put("/v1/safety/devices/phone", {"pushToken": "bob-phone"})
                    secret = ciphertext()
                    for _ in range(5):  # Bob's app is closed
                        await ada.post(f"/v1/chats/rooms/{room}/messages", {"ciphertext": secret})
                    (pushed,) = await push.wait_for(1)
                    assert pushed.body["token"] == "bob-phone"
                    assert pushed.body["title"] == "New message from a match"
                    assert secret not in str(pushed.body)
                    assert pushed.body["data"] == {"roomId": room}

                    async with bob.socket() as bob_ws:  # Bob opens the app: no push now

                        async def bob_online() -> bool:
                            peer = (await ada.get(f"/v1/chats/rooms/{room}"))["peer"]
                            return bool(peer["online"])

                        await eventually(bob_online, what="Ada to see Bob online")
                        await ada.post(f"/v1/chats/rooms/{room}/messages", {"ciphertext": secret})
                        await bob_ws.expect("message")
                    # A later burst, after the window, would push again; within it, one push.
                    mod = await moderator(running.system, running.url)
                    async with mod:
                        notes = await mod.get(
                            "/v1/safety/notifications", params={"userId": uid(bob)}
                        )
                    pushes = [n for n in notes["notifications"] if n["channel"] == "push"]
                    assert len(pushes) == 1, pushes
                    assert len(push.accepted()) == 1
    finally:
        push.stop()

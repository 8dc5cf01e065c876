"""A committed message is delivered even if the chat process dies right after its 201.

The chat service runs as its own ``disco serve chat`` process, its outbox relay held back, so
that when it is killed the message exists only as committed rows; the rest of Disco runs in the
test's process on the same PostgreSQL, Redis and RabbitMQ. Restarted, the chat process relays
the message frame, and the peer's socket gets it exactly once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.chat import chatting, ciphertext
from tests.support.process import serving_apart
from tests.support.users import person

pytestmark = pytest.mark.real


async def test_a_message_committed_before_a_crash_is_delivered_once_after_restart(
    tmp_path: Path,
) -> None:
    async with serving_apart("chat", tmp_path) as (_, running, chat):
        ada, bob = await person(running.url, "Ada"), await person(running.url, "Bob")
        async with ada, bob:
            _, room = await chatting(running.system, ada, bob)
            chat.stop()
            await chat.start(DISCO_OUTBOX_RELAY="false")
            async with bob.socket() as bob_ws:
                sent = await ada.post(
                    f"/v1/chats/rooms/{room}/messages", {"ciphertext": ciphertext()}
                )
                chat.kill()  # right after the 201: nothing was relayed
                with pytest.raises(TimeoutError):
                    await bob_ws.expect("message", timeout=1.0)
                await chat.start()
                frame = await bob_ws.expect("message", timeout=30)
                assert frame["data"]["id"] == sent["id"]
                with pytest.raises(TimeoutError):  # and only once
                    await bob_ws.expect("message", timeout=2.0)
            page = await bob.get(f"/v1/chats/rooms/{room}/messages")
            assert [m["id"] for m in page["messages"]] == [sent["id"]]

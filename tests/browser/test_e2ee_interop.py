"""The web client's end-to-end encryption (``web/src/e2ee``) and the Python SDK's
``SecureChat`` in one conversation through the running server: each reads what the other
sealed, across session start, replies and ratchet turns, their safety numbers agree, and the
web client's report of a Python-sealed message verifies at the safety service.

The web side runs in Node through Vitest (``web/src/e2ee/interop.test.ts``), one step per
run, its device state in a file between steps; the test vectors (``tests/vectors/e2ee.json``)
already prove the bytes, this proves the API shapes and the flow.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from disco.client import DiscoClient
from disco.client.e2ee import MemoryKeyStore, SecureChat
from tests.browser.people import account
from tests.support.backends import Running
from tests.support.chat import chatting
from tests.support.safety import moderator, uid

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)

WEB = Path(__file__).resolve().parents[2] / "web"


async def web_step(
    disco: Running, client: DiscoClient, peer: DiscoClient, room: str, folder: Path, **step: Any
) -> dict[str, Any]:
    """Runs one step of the web client's side in Node; what it reports."""
    config, out = folder / "step.json", folder / "out.json"
    config.write_text(
        json.dumps(
            {
                "url": disco.url,
                "token": client.token,
                "userId": uid(client),
                "peerId": uid(peer),
                "roomId": room,
                "statePath": str(folder / "web-device.json"),
                "outPath": str(out),
                **step,
            }
        )
    )
    process = await asyncio.create_subprocess_exec(
        "npx",
        "vitest",
        "run",
        "src/e2ee/interop.test.ts",
        cwd=WEB,
        env={**os.environ, "DISCO_E2EE_INTEROP": str(config)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()  # the server keeps serving in this event loop
    assert process.returncode == 0, output.decode()
    answer: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return answer


async def texts_of(chat: SecureChat, client: DiscoClient, room: str) -> list[str | None]:
    return [(await chat.decrypt(m)).text async for m in client.iter_messages(room)]


async def test_the_web_client_and_the_python_sdk_read_each_other(
    disco: Running, tmp_path: Path
) -> None:
    ada, bob = await account(disco, "Ada"), await account(disco, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        ada_chat = SecureChat(ada, "phone", MemoryKeyStore())
        await ada_chat.setup()
        setup = await web_step(disco, bob, ada, room, tmp_path, step="setup")
        assert setup["deviceId"].startswith("web-")

        await ada_chat.send(room, "Hello web ☕, from Python")
        await ada_chat.send(room, "and a second one")
        first = await web_step(
            disco, bob, ada, room, tmp_path, step="exchange", reply="Hello Python 👋, from the web"
        )
        assert [m.get("text") for m in first["read"]] == [
            "Hello web ☕, from Python",
            "and a second one",
        ]
        assert first["safetyNumber"] == str(await ada_chat.safety_number(uid(bob)))

        # Python reads the web's reply (a session start the web answered on), then both turn
        # the ratchet once more.
        history = [m async for m in ada.iter_messages(room)]
        reply = await ada_chat.decrypt(history[-1])
        assert (reply.text, reply.sender_device_id) == (
            "Hello Python 👋, from the web",
            setup["deviceId"],
        )
        await ada_chat.send(room, "you will regret this")
        second = await web_step(
            disco, bob, ada, room, tmp_path, step="exchange", reply="Noted.", report=True
        )
        assert [m.get("text") for m in second["read"]] == [
            "Hello web ☕, from Python",
            "and a second one",
            "Hello Python 👋, from the web",
            "you will regret this",
        ]
        assert [m.get("mine", False) for m in second["read"]] == [False, False, True, False]
        assert (await texts_of(ada_chat, ada, room))[-1] == "Noted."

        # The web's report of the Python-sealed messages verifies at the safety service.
        report_id = second["report"]["id"]
        mod = await moderator(disco.system, disco.url)
        async with mod:
            (seen,) = [
                r
                for r in (await mod.get("/v1/safety/moderation/reports"))["reports"]
                if r["id"] == report_id
            ]
        assert [e["verified"] for e in seen["messages"]] == [True, True, True]
        assert seen["messages"][-1]["text"] == "you will regret this"

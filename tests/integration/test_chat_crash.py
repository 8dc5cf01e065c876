"""A committed message is delivered even if the chat process dies right after its 201.

The chat service runs as its own ``disco serve chat`` process, its outbox relay held back, so
that when it is killed the message exists only as committed rows; the rest of Disco runs in the
test's process on the same PostgreSQL, Redis and RabbitMQ. Restarted, the chat process relays
the message frame, and the peer's socket gets it exactly once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from disco.config import SERVICES
from tests.support.backends import backend_settings, serve
from tests.support.chat import chatting, ciphertext
from tests.support.net import free_port
from tests.support.users import person

pytestmark = pytest.mark.real


class ChatProcess:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self._port = port
        self.env = env
        self._log = log
        self._child: subprocess.Popen[bytes] | None = None

    async def start(self, *, relay: bool) -> None:
        env = {**self.env, "DISCO_OUTBOX_RELAY": "true" if relay else "false"}
        with self._log.open("ab") as log:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "disco", "serve", "chat", "--port", str(self._port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as http:
            while True:
                assert self._child.poll() is None, self._log.read_text()
                try:
                    if (await http.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, self._log.read_text()
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        assert self._child is not None
        self._child.send_signal(signal.SIGKILL)
        self._child.wait(timeout=30)
        self._child = None

    def stop(self) -> None:
        if self._child is not None:
            self._child.terminate()
            self._child.wait(timeout=30)
            self._child = None


async def test_a_message_committed_before_a_crash_is_delivered_once_after_restart(
    tmp_path: Path,
) -> None:
    chat_port = free_port()
    async with backend_settings(
        "real", tmp_path, service_urls={"chat": f"http://127.0.0.1:{chat_port}"}
    ) as settings:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DISCO_")}
        for name in ("data_dir", "environment", "namespace", "database_url", "redis_url"):
            env[f"DISCO_{name.upper()}"] = str(getattr(settings, name))
        env["DISCO_AMQP_URL"] = str(settings.amqp_url)
        chat = ChatProcess(env, chat_port, tmp_path / "chat.log")
        others = [s for s in SERVICES if s != "chat"]
        try:
            async with serve(settings, others) as running:  # makes the shared key file
                # The chat process checks tokens against auth's keys, found behind the gateway.
                chat.env["DISCO_SERVICE_URLS"] = json.dumps({"auth": running.url})
                await chat.start(relay=True)
                ada, bob = await person(running.url, "Ada"), await person(running.url, "Bob")
                async with ada, bob:
                    _, room = await chatting(running.system, ada, bob)
                    chat.stop()
                    await chat.start(relay=False)
                    async with bob.socket() as bob_ws:
                        sent = await ada.post(
                            f"/v1/chats/rooms/{room}/messages", {"ciphertext": ciphertext()}
                        )
                        chat.kill()  # right after the 201: nothing was relayed
                        with pytest.raises(TimeoutError):
                            await bob_ws.expect("message", timeout=1.0)
                        await chat.start(relay=True)
                        frame = await bob_ws.expect("message", timeout=30)
                        assert frame["data"]["id"] == sent["id"]
                        with pytest.raises(TimeoutError):  # and only once
                            await bob_ws.expect("message", timeout=2.0)
                    page = await bob.get(f"/v1/chats/rooms/{room}/messages")
                    assert [m["id"] for m in page["messages"]] == [sent["id"]]
        finally:
            chat.stop()

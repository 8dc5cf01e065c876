"""A real SMTP server (aiosmtpd) the tests start on localhost, and the mail it received."""

from __future__ import annotations

import asyncio
import email
import re
import threading
from dataclasses import dataclass
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.net import free_port


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str
    message: Message

    def token(self) -> str:
        """The code the mail carries (``?token=...`` in its link)."""
        match = re.search(r"token=([A-Za-z0-9_\-]+)", self.body)
        assert match, f"no token in mail {self.subject!r}"
        return match.group(1)


class Mailbox:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        payload = message.get_payload(decode=True)
        body = payload.decode() if isinstance(payload, bytes) else str(message.get_payload())
        with self._lock:
            self.mails.append(Mail(list(envelope.rcpt_tos), str(message["Subject"]), body, message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        with self._lock:
            return [m for m in self.mails if address.lower() in (t.lower() for t in m.to)]

    async def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[Mail]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.to(address)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{count} mail(s) to {address} did not arrive")
            await asyncio.sleep(0.02)
        return self.to(address)

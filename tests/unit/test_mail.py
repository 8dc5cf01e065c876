"""Outgoing mail: a subject made from a name is always one line, whatever a person typed; SMTP
connections are kept and reused, and a dead or refused one is never used again."""

from __future__ import annotations

import asyncio
import email
import email.header
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller

from disco.platform.mail import IDLE_SECONDS, FileMailer, SmtpMailer
from tests.support.net import free_port


async def test_a_subject_with_line_breaks_is_sent_on_one_line(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path)
    await mailer.send("mum@example.com", "Emergency: Ada\r\nBcc: evil@example.com needs help", "b")
    (written,) = tmp_path.iterdir()
    headers = written.read_bytes().split(b"\n\n", 1)[0].decode()
    assert "Subject: Emergency: Ada Bcc: evil@example.com needs help" in headers
    assert "\nBcc:" not in headers


class _Server:
    """A real SMTP server on localhost that counts the connections that said EHLO."""

    def __init__(self) -> None:
        self.greetings = 0
        self.received: list[str] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_EHLO(
        self, _server: Any, session: Any, _envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"

    def __enter__(self) -> _Server:
        self._controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._controller.stop()


async def test_mails_in_a_row_share_one_connection() -> None:
    with _Server() as server:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{server.port}")
        for n in range(3):
            await mailer.send(f"c{n}@example.com", "Subject", "Body")
        await mailer.close()
    assert server.received == ["c0@example.com", "c1@example.com", "c2@example.com"]
    assert server.greetings == 1


async def test_sends_side_by_side_each_have_a_connection_and_keep_it() -> None:
    with _Server() as server:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{server.port}")
        await asyncio.gather(*(mailer.send(f"c{n}@example.com", "S", "B") for n in range(4)))
        await asyncio.gather(*(mailer.send(f"d{n}@example.com", "S", "B") for n in range(4)))
        await mailer.close()
    assert sorted(server.received) == sorted(
        [f"c{n}@example.com" for n in range(4)] + [f"d{n}@example.com" for n in range(4)]
    )
    assert server.greetings == 4


async def test_a_connection_the_server_dropped_is_replaced_without_an_error() -> None:
    port = free_port()
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}")
    first, second = _Server(), _Server()
    first.port = second.port = port
    first._controller = Controller(first, hostname="127.0.0.1", port=port)
    second._controller = Controller(second, hostname="127.0.0.1", port=port)
    with first:
        await mailer.send("before@example.com", "S", "B")
    with second:  # a restarted server: the kept connection is dead
        await mailer.send("after@example.com", "S", "B")
        await mailer.close()
    assert first.received == ["before@example.com"]
    assert second.received == ["after@example.com"] and second.greetings == 1


async def test_a_connection_idle_for_too_long_is_not_reused() -> None:
    now = [0.0]
    with _Server() as server:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{server.port}", monotonic=lambda: now[0])
        await mailer.send("a@example.com", "S", "B")
        now[0] += IDLE_SECONDS
        await mailer.send("b@example.com", "S", "B")
        await mailer.close()
    assert server.received == ["a@example.com", "b@example.com"]
    assert server.greetings == 2


async def test_a_refused_recipient_does_not_leave_its_connection_for_the_next_mail() -> None:
    class Refusing(_Server):
        async def handle_RCPT(
            self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
        ) -> str:
            if address.startswith("nobody"):
                return "550 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    with Refusing() as server:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{server.port}")
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await mailer.send("nobody@example.com", "S", "B")
        await mailer.send("someone@example.com", "S", "B")
        await mailer.close()
    assert server.received == ["someone@example.com"]
    assert server.greetings == 2


async def test_a_name_with_accents_reads_back_as_typed() -> None:
    with _Server() as server:
        got: list[bytes] = []

        async def keep(_server: Any, _session: Any, envelope: Any) -> str:
            got.append(envelope.content)
            return "250 OK"

        server.handle_DATA = keep  # type: ignore[method-assign]
        mailer = SmtpMailer(f"smtp://127.0.0.1:{server.port}")
        await mailer.send("mum@example.com", "EMERGENCY: Zoë needs help", "Zoë is at the café.")
        await mailer.close()
    message = email.message_from_bytes(got[0])
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == "EMERGENCY: Zoë needs help"
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes) and payload.decode().rstrip() == "Zoë is at the café."

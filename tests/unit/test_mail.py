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


class _Keeping(_Server):
    """Keeps each message as it arrived; ``options`` go to aiosmtpd's SMTP."""

    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.raw: list[bytes] = []
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        content = envelope.content
        self.raw.append(content if isinstance(content, bytes) else content.encode())
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


def _text(raw: bytes) -> str:
    payload = email.message_from_bytes(raw).get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


async def test_a_line_that_starts_with_from_is_sent_as_typed() -> None:
    with _Keeping() as server:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{server.port}")
        await mailer.send("mum@example.com", "Check-in", "Their note:\nFrom here on I walk.")
        await mailer.close()
    assert "\nFrom here on I walk." in _text(server.raw[0]).replace("\r\n", "\n")


async def test_a_server_without_8bitmime_gets_the_text_quoted_printable() -> None:
    # aiosmtpd offers 8BITMIME only when it does not decode the data itself.
    with _Keeping(decode_data=True) as server:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{server.port}")
        await mailer.send("mum@example.com", "S", "Zoë est au café.")
        await mailer.close()
    message = email.message_from_bytes(server.raw[0])
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert server.raw[0].isascii()
    assert _text(server.raw[0]).rstrip() == "Zoë est au café."


async def test_a_message_sent_again_under_its_id_is_the_same_message_to_a_mail_client() -> None:
    """The dispatcher sends a notification again when the first send's answer was lost: both
    copies carry the notification's Message-ID, so a mail client keeps one. Other mails get
    a Message-ID and a Date of their own."""
    with _Keeping() as server:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{server.port}")
        for _ in range(2):
            await mailer.send("mum@example.com", "S", "B", message_id="01J9ZK<x>\r\nBcc: e")
        await mailer.send("mum@example.com", "S", "B")
        await mailer.send("mum@example.com", "S", "B")
        await mailer.close()
    first, again, other, another = (email.message_from_bytes(raw) for raw in server.raw)
    assert first["Message-ID"] == again["Message-ID"] == "<01J9ZKxBcce@disco.local>"
    assert len({first["Message-ID"], other["Message-ID"], another["Message-ID"]}) == 3
    assert all(m["Date"].endswith(" +0000") for m in (first, other))  # not the obsolete "GMT"


async def test_an_internationalised_address_goes_out_as_utf8() -> None:
    with _Keeping(enable_SMTPUTF8=True) as server:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{server.port}")
        await mailer.send("zoë@exämple.com", "S", "B")
        await mailer.close()
    assert server.received == ["zoë@exämple.com"]
    assert b"\r\nTo: zo\xc3\xab@ex\xc3\xa4mple.com\r\n" in server.raw[0]


async def test_a_send_that_ends_after_close_does_not_keep_its_connection() -> None:
    with _Server() as server:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{server.port}")
        sending = asyncio.create_task(mailer.send("a@example.com", "S", "B"))
        await asyncio.sleep(0)  # under way: connecting
        await mailer.close()
        await sending
        assert mailer._take_idle() is None
    assert server.received == ["a@example.com"]

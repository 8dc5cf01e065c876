"""Outgoing email: SMTP in real mode, .eml files under the data folder in embedded mode."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.charset import QP, Charset
from email.generator import BytesGenerator
from email.header import Header
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

__all__ = ["FileMailer", "Mailer", "SmtpMailer", "build_mailer"]

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 10.0
# A kept connection unused this long is closed the next time the mailer sends (and all are at
# shutdown), never reused: servers time idle ones out after five minutes or more (RFC 5321
# §4.5.3.2), so a kept one is seldom found dead, and one that is gets replaced at once.
IDLE_SECONDS = 30.0

# UTF-8 text sent as it is (7bit or 8bit, whichever the text needs), as a person opening an
# .eml file would want it; quoted-printable for the rare server without 8BITMIME.
_UTF8_8BIT = Charset("utf-8")
_UTF8_8BIT.body_encoding = None  # type: ignore[assignment]  # None: as it is (typeshed: int)
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
# As the message is sent: CRLF line ends, and a line that starts with "From " left as typed
# (compat32's default would send it as ">From ").
_WIRE = compat32.clone(linesep="\r\n", mangle_from_=False)
# What we keep of an id in a Message-ID's left part: a dot-atom of one atom (no dots, which
# may not lead, trail or double), without the rarer symbols.
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]")


class Mailer(Protocol):
    async def send(
        self, to: str, subject: str, body: str, *, message_id: str | None = None
    ) -> None:
        """Send one message. ``message_id`` names it for good (its ``Message-ID``): a message
        sent again under the same one (a send whose answer was lost) is the same message to a
        mail client, which keeps one copy."""

    async def close(self) -> None: ...


def _message(
    sender: str,
    to: str,
    subject: str,
    body: str,
    *,
    message_id: str | None = None,
    eight_bit: bool = True,
) -> MIMENonMultipart:
    """The plain-text message. Built with the email package's compat32 classes: the default
    policy's header parsing cost about 1 ms a message, the most of a send under a burst."""
    msg = MIMENonMultipart("text", "plain")
    msg.set_payload(body, _UTF8_8BIT if eight_bit else _UTF8_QP)
    msg["From"] = sender
    msg["Date"] = format_datetime(datetime.now(UTC))  # "+0000": RFC 5322 calls "GMT" obsolete
    _, at, domain = parseaddr(sender)[1].rpartition("@")
    domain = domain if at and domain else "disco.invalid"
    local = _ID_UNSAFE.sub("", message_id or "")
    msg["Message-ID"] = f"<{local}@{domain}>" if local else make_msgid(domain=domain)
    # An internationalised address goes out as UTF-8 (the server was asked for SMTPUTF8):
    # compat32 writes a header held as surrogate-escaped bytes as those bytes, unfolded.
    msg["To"] = to if to.isascii() else to.encode().decode("ascii", "surrogateescape")
    # One line whatever it holds (a name typed with a line break, say): a header with one
    # could add headers of its own, and a refused message would be retried for ever.
    one_line = " ".join(subject.split())
    msg["Subject"] = one_line if one_line.isascii() else Header(one_line, _UTF8_8BIT).encode()
    return msg


def _wire_bytes(message: MIMENonMultipart) -> bytes:
    out = io.BytesIO()
    BytesGenerator(out, policy=_WIRE).flatten(message)
    return out.getvalue()


class SmtpMailer:
    """``smtp://[user:pass@]host:port`` (plain, or STARTTLS when offered) or ``smtps://``.

    Connections are kept and reused, one per send in flight: a new one for every message
    cost a TCP handshake, the greeting, EHLO (and STARTTLS, login) and QUIT besides the three
    commands that send it."""

    def __init__(
        self,
        url: str,
        sender: str = "Disco <no-reply@disco.local>",
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"DISCO_SMTP_URL must look like smtp://host:port, not {url!r}")
        self._host = parts.hostname
        self._port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self._tls = parts.scheme == "smtps"
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self._monotonic = monotonic
        # Looked up once: aiosmtplib would ask the resolver again for every connection, and
        # the lookup blocks the event loop.
        self._local_hostname = socket.getfqdn()
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []  # the most recently used last
        self._closed = False

    async def send(
        self, to: str, subject: str, body: str, *, message_id: str | None = None
    ) -> None:
        letter = (to, subject, body, message_id)
        client = self._take_idle()
        if client is not None:
            try:
                await self._transmit(client, *letter)
            except (aiosmtplib.SMTPServerDisconnected, ConnectionError):
                # The server dropped the kept connection: the same send on a new one is what
                # the dispatcher's retry would do, only without the backoff.
                client.close()
            except BaseException:
                client.close()  # in an unknown state: never reused
                raise
            else:
                self._keep(client)
                return
        client = await self._connect()
        try:
            await self._transmit(client, *letter)
        except BaseException:
            client.close()
            raise
        self._keep(client)

    async def _transmit(
        self, client: aiosmtplib.SMTP, to: str, subject: str, body: str, message_id: str | None
    ) -> None:
        if client.is_ehlo_or_helo_needed:
            await client.ehlo()
        eight_bit = client.supports_extension("8bitmime")
        options = ["BODY=8BITMIME"] if eight_bit else []
        if not to.isascii():
            options.append("SMTPUTF8")  # refused (SMTPNotSupported) if the server has none
        message = _message(
            self.sender, to, subject, body, message_id=message_id, eight_bit=eight_bit
        )
        await client.sendmail(
            self.sender,
            [to],
            _wire_bytes(message),
            mail_options=options,
            timeout=SEND_TIMEOUT_SECONDS,
        )

    async def close(self) -> None:
        """QUIT every kept connection (a clean shutdown); a send still in flight closes its
        connection when it ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(self._quit(client) for client, _ in idle))

    def _take_idle(self) -> aiosmtplib.SMTP | None:
        now = self._monotonic()
        while self._idle:
            client, since = self._idle.pop()
            if client.is_connected and now - since < IDLE_SECONDS:
                return client
            client.close()
        return None

    def _keep(self, client: aiosmtplib.SMTP) -> None:
        if self._closed:
            client.close()
            return
        now = self._monotonic()
        self._idle.append((client, now))
        # Those idle too long go now, not when a burst next needs them all.
        while now - self._idle[0][1] >= IDLE_SECONDS:
            self._idle.pop(0)[0].close()

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            use_tls=self._tls,
            start_tls=None,  # STARTTLS if the server offers it
            username=self._user,
            password=self._password,
            local_hostname=self._local_hostname,
            timeout=SEND_TIMEOUT_SECONDS,
        )
        await client.connect()
        return client

    @staticmethod
    async def _quit(client: aiosmtplib.SMTP) -> None:
        try:
            if client.is_connected:
                await client.quit(timeout=SEND_TIMEOUT_SECONDS)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            pass  # it is being closed anyway
        finally:
            client.close()


class FileMailer:
    """A newcomer's `disco up` has no mail server: messages are written where they can be read."""

    def __init__(self, folder: Path, sender: str = "Disco <no-reply@disco.local>") -> None:
        self._folder = folder
        self.sender = sender
        self._count = 0

    async def send(
        self, to: str, subject: str, body: str, *, message_id: str | None = None
    ) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        self._count += 1
        name = f"{asyncio.get_running_loop().time():.6f}-{self._count}.eml"
        path = self._folder / name
        await asyncio.to_thread(
            path.write_bytes, bytes(_message(self.sender, to, subject, body, message_id=message_id))
        )
        log.info("mail written to %s", path)

    async def close(self) -> None:
        """Nothing is kept open."""


def build_mailer(smtp_url: str | None, data_dir: Path) -> Mailer:
    return SmtpMailer(smtp_url) if smtp_url else FileMailer(data_dir / "mail")

"""Outgoing email: SMTP in real mode, .eml files under the data folder in embedded mode."""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

__all__ = ["FileMailer", "Mailer", "SmtpMailer", "build_mailer"]

log = logging.getLogger(__name__)


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    # One line whatever it holds (a name typed with a line break, say): the email package
    # refuses a header with one, and a refused message would be retried for ever.
    msg["Subject"] = " ".join(subject.split())
    msg.set_content(body)
    return msg


class SmtpMailer:
    """``smtp://[user:pass@]host:port`` (plain, or STARTTLS when offered) or ``smtps://``."""

    def __init__(self, url: str, sender: str = "Disco <no-reply@disco.local>") -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"DISCO_SMTP_URL must look like smtp://host:port, not {url!r}")
        self._host = parts.hostname
        self._port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self._tls = parts.scheme == "smtps"
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self.sender = sender

    async def send(self, to: str, subject: str, body: str) -> None:
        await aiosmtplib.send(
            _message(self.sender, to, subject, body),
            hostname=self._host,
            port=self._port,
            use_tls=self._tls,
            start_tls=None,  # STARTTLS if the server offers it
            username=self._user,
            password=self._password,
            timeout=10,
        )


class FileMailer:
    """A newcomer's `disco up` has no mail server: messages are written where they can be read."""

    def __init__(self, folder: Path, sender: str = "Disco <no-reply@disco.local>") -> None:
        self._folder = folder
        self.sender = sender
        self._count = 0

    async def send(self, to: str, subject: str, body: str) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        self._count += 1
        name = f"{asyncio.get_running_loop().time():.6f}-{self._count}.eml"
        path = self._folder / name
        await asyncio.to_thread(path.write_bytes, bytes(_message(self.sender, to, subject, body)))
        log.info("mail written to %s", path)


def build_mailer(smtp_url: str | None, data_dir: Path) -> Mailer:
    return SmtpMailer(smtp_url) if smtp_url else FileMailer(data_dir / "mail")

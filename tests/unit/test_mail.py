"""Outgoing mail whatever a person typed: a subject made from a name is always one line."""

from __future__ import annotations

from pathlib import Path

from disco.platform.mail import FileMailer


async def test_a_subject_with_line_breaks_is_sent_on_one_line(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path)
    await mailer.send("mum@example.com", "Emergency: Ada\r\nBcc: evil@example.com needs help", "b")
    (written,) = tmp_path.iterdir()
    headers = written.read_bytes().split(b"\n\n", 1)[0].decode()
    assert "Subject: Emergency: Ada Bcc: evil@example.com needs help" in headers
    assert "\nBcc:" not in headers

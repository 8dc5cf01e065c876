"""What the SDK hands an app: a decrypted message with everything needed to report it, a
marker for one it could not decrypt, and the body of a report built from decrypted messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from disco.client.e2ee.attachments import AttachmentRef
from disco.client.e2ee.errors import E2eeError
from disco.client.e2ee.primitives import b64
from disco.client.e2ee.wire import CONTENT_BYTES, CONTENT_TEXT

__all__ = ["REPORT_TEXT_LIMIT", "DecryptedMessage", "Undecryptable", "report_body"]

REPORT_TEXT_LIMIT = 4000  # what a report's ``text`` may hold; the opening carries all of it


@dataclass(frozen=True, slots=True)
class DecryptedMessage:
    id: str
    room_id: str
    seq: int
    sender_id: str
    sender_device_id: str
    sent_at: str  # as the server gave it: the server tag covers this exact time
    content_type: int
    body: bytes
    franking_key: bytes
    franking_tag: str
    server_tag: str | None

    @classmethod
    def of(
        cls,
        data: dict[str, Any],
        sender_device_id: str,
        content_type: int,
        body: bytes,
        franking_key: bytes,
    ) -> DecryptedMessage:
        """A stored message (``data`` as the API shows it) with what its envelope held."""
        return cls(
            id=str(data["id"]),
            room_id=str(data["roomId"]),
            seq=int(data["seq"]),
            sender_id=str(data["senderId"]),
            sender_device_id=sender_device_id,
            sent_at=str(data["sentAt"]),
            content_type=content_type,
            body=body,
            franking_key=franking_key,
            franking_tag=str(data["frankingTag"]),
            server_tag=data.get("serverTag"),
        )

    @property
    def text(self) -> str | None:
        """The text of a text message; None for bytes."""
        return self.body.decode() if self.content_type == CONTENT_TEXT else None

    @property
    def attachment(self) -> AttachmentRef | None:
        """What an attachment message points to (``SecureChat.download`` fetches it)."""
        return AttachmentRef.parse(self.body) if self.content_type == CONTENT_BYTES else None

    def opening(self) -> dict[str, Any]:
        """This message as a report carries it: the franking opening that lets moderators
        check it is exactly what its sender sent."""
        if self.server_tag is None:
            raise E2eeError("the server did not tag this message: it cannot be proven")
        attachment = self.attachment
        if attachment is not None:
            shown = f"(an attachment: {attachment.name}, {attachment.mime_type},"
            shown = f"{shown} {attachment.size} bytes)"[:REPORT_TEXT_LIMIT]
        elif self.text is None:
            shown = f"({len(self.body)} bytes of attached content)"
        else:
            shown = self.text[:REPORT_TEXT_LIMIT] or "(an empty message)"
        return {
            "id": self.id,
            "senderId": self.sender_id,
            "sentAt": self.sent_at,
            "text": shown,
            "roomId": self.room_id,
            "frankingTag": self.franking_tag,
            "serverTag": self.server_tag,
            "frankingKey": b64(self.franking_key),
            "plaintext": b64(self.body),
        }


@dataclass(frozen=True, slots=True)
class Undecryptable:
    """A message of the history this device cannot read, and why."""

    id: str
    seq: int
    sender_id: str
    error: E2eeError


def report_body(
    user_id: str,
    reason: str,
    messages: Sequence[DecryptedMessage],
    details: str | None = None,
) -> dict[str, Any]:
    """The ``POST /v1/safety/reports`` body reporting ``user_id`` with ``messages`` as proof
    (each must be one ``user_id`` sent: the server tag names its sender)."""
    strangers = [m.id for m in messages if m.sender_id != user_id]
    if strangers:
        raise ValueError(f"messages {strangers} were not sent by the reported person")
    body: dict[str, Any] = {
        "userId": user_id,
        "reason": reason,
        "messages": [m.opening() for m in messages],
    }
    if details is not None:
        body["details"] = details
    return body

"""Attachments, end to end encrypted, in the format the web client writes (``docs/e2ee.md``
§6.1): the file is encrypted with AES-256-GCM under a fresh key and nonce and uploaded to the
room's media; the key travels inside an ordinary encrypted message, a ``bytes`` message whose
body is an ``AttachmentRef``. The server stores bytes it cannot read and cannot change them
unnoticed: without the key it cannot make another ciphertext that authenticates.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from disco.client.e2ee.errors import AttachmentMismatch, MalformedMessage, MessageTooLarge
from disco.client.e2ee.primitives import KEY_BYTES, Random, b64, unb64

__all__ = [
    "MAX_FILE_BYTES",
    "AttachmentRef",
    "check_description",
    "open_attachment",
    "seal_attachment",
]

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # what the server takes in one upload
GCM_TAG_BYTES = 16
GCM_NONCE_BYTES = 12
MAX_FILE_BYTES = MAX_UPLOAD_BYTES - GCM_TAG_BYTES
MARK = b"disco-attachment:1\n"  # starts the body of a message that holds a reference
# A media id goes into a download's path: only the server's own ids, nothing a peer could use
# to point the download elsewhere.
MEDIA_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
MAX_NAME_CHARS = 255


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """What an attachment message carries: where the upload is, its key and nonce, and the
    file's name, type and size as its sender gave them (not trusted: shown, never run)."""

    media_id: str
    key: bytes
    iv: bytes
    name: str
    mime_type: str
    size: int

    def encode(self) -> bytes:
        fields = {
            "mediaId": self.media_id,
            "key": b64(self.key),
            "iv": b64(self.iv),
            "name": self.name,
            "type": self.mime_type,
            "size": self.size,
        }
        return MARK + json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def parse(cls, body: bytes) -> AttachmentRef | None:
        """The reference a ``bytes`` message holds; None when its bytes are something else
        (as the web client reads it: strict UTF-8, a flat object of the right types)."""
        if not body.startswith(MARK):
            return None
        try:
            fields: Any = json.loads(body[len(MARK) :].decode("utf-8"))
            ref = cls(
                fields["mediaId"],
                unb64(fields["key"], KEY_BYTES),
                unb64(fields["iv"], GCM_NONCE_BYTES),
                fields["name"],
                fields["type"],
                fields["size"],
            )
        except (ValueError, KeyError, TypeError, RecursionError, MalformedMessage):
            return None
        texts = (ref.media_id, ref.name, ref.mime_type)
        if not all(isinstance(t, str) for t in texts) or type(ref.size) is not int:
            return None
        if not MEDIA_ID.fullmatch(ref.media_id) or ref.size < 0:
            return None
        return ref


def check_description(name: str, mime_type: str) -> None:
    """Refuse, before anything is uploaded, a name or type a reference cannot carry."""
    for what, text in (("name", name), ("type", mime_type)):
        if not 0 < len(text) <= MAX_NAME_CHARS:
            raise ValueError(f"an attachment's {what} must be 1 to {MAX_NAME_CHARS} characters")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"an attachment's {what} is not valid Unicode: {text!r}") from exc


def seal_attachment(data: bytes, random: Random) -> tuple[bytes, bytes, bytes]:
    """``(key, iv, upload)``: ``data`` encrypted under a fresh key and nonce, in that order
    drawn; the upload is the ciphertext with GCM's tag last."""
    if len(data) > MAX_FILE_BYTES:
        raise MessageTooLarge(f"{len(data)} bytes; an attachment may be {MAX_FILE_BYTES} at most")
    key, iv = random(KEY_BYTES), random(GCM_NONCE_BYTES)
    return key, iv, AESGCM(key).encrypt(iv, data, None)


def open_attachment(ref: AttachmentRef, upload: bytes) -> bytes:
    """The file ``ref`` names, from the bytes downloaded for it; ``AttachmentMismatch``
    unless they are exactly what its sender uploaded."""
    try:
        return AESGCM(ref.key).decrypt(ref.iv, upload, None)
    except InvalidTag as exc:
        raise AttachmentMismatch("the download does not open with this message's key") from exc

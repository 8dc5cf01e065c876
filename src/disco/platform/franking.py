"""Message franking (Grubbs, Lu and Ristenpart, "Message Franking via Committing Authenticated
Encryption", CRYPTO 2017; the scheme Facebook Messenger uses): a recipient can prove to
moderators exactly what a sender sent, although the server never saw the plaintext.

1. The sender picks a fresh 32-byte franking key ``Kf`` per message and commits to the
   plaintext: ``frankingTag = HMAC-SHA256(Kf, plaintext)``. ``Kf`` travels inside the
   end-to-end ciphertext; the tag travels beside it.
2. The chat service, which sees only the tag, binds it to who sent it, where and when with a
   key of its own: ``serverTag = HMAC-SHA256(Ks, context)`` (``server_tag`` below), and hands
   both tags to the recipients with the message.
3. A recipient who reports the message gives the plaintext, ``Kf`` and both tags (the
   *opening*). ``verify_opening`` checks the server tag (so sender, room, id and time are
   what the server saw) and the commitment (so the plaintext is what the sender committed to).
   Neither can be forged without ``Ks`` or a second preimage of HMAC-SHA256.

``Ks`` is derived from the deployment's key ring (``FieldCipher.derive_secrets("franking")``):
the chat service tags with the newest, and a report is checked against every key of the ring,
so a key rotation does not void reports of older messages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime

__all__ = ["FRANKING_KEY_BYTES", "TAG_BYTES", "commitment", "server_tag", "verify_opening"]

FRANKING_KEY_BYTES = 32
TAG_BYTES = 32
_LABEL = "disco-franking-v1"


def commitment(franking_key: bytes, plaintext: bytes) -> bytes:
    """The sender's commitment to ``plaintext`` (what it sends as ``frankingTag``)."""
    return hmac.new(franking_key, plaintext, hashlib.sha256).digest()


def _context(
    franking_tag: str, sender_id: str, room_id: str, message_id: str, sent_at: datetime
) -> bytes:
    # A JSON array: an unambiguous encoding of the fields, whatever characters they hold.
    fields = [_LABEL, franking_tag, sender_id, room_id, message_id, sent_at.isoformat()]
    return json.dumps(fields, separators=(",", ":")).encode()


def server_tag(
    key: bytes,
    *,
    franking_tag: str,
    sender_id: str,
    room_id: str,
    message_id: str,
    sent_at: datetime,
) -> str:
    """The server's binding of a commitment to its context, base64."""
    context = _context(franking_tag, sender_id, room_id, message_id, sent_at)
    return base64.b64encode(hmac.new(key, context, hashlib.sha256).digest()).decode()


def verify_opening(
    keys: Sequence[bytes],
    *,
    franking_tag: str,
    server_tag_b64: str,
    sender_id: str,
    room_id: str,
    message_id: str,
    sent_at: datetime,
    plaintext: bytes,
    franking_key: bytes,
) -> str | None:
    """None if the opening proves ``sender_id`` sent ``plaintext``; else what is wrong."""
    context = _context(franking_tag, sender_id, room_id, message_id, sent_at)
    try:
        claimed = base64.b64decode(server_tag_b64, validate=True)
        committed = base64.b64decode(franking_tag, validate=True)
    except (binascii.Error, ValueError):
        return "the tags are not base64"
    if not any(
        hmac.compare_digest(hmac.new(key, context, hashlib.sha256).digest(), claimed)
        for key in keys
    ):
        return "the server tag does not match this sender, room, message and time"
    if not hmac.compare_digest(commitment(franking_key, plaintext), committed):
        return "the plaintext and franking key do not open the sender's commitment"
    return None

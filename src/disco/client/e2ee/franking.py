"""Message franking, the sender's and the recipient's half (Grubbs, Lu and Ristenpart, CRYPTO
2017; what Facebook Messenger does): the sender commits to each message's body with a fresh
key ``Kf`` that travels inside the end-to-end ciphertext,

    frankingTag = HMAC-SHA256(Kf, body)

and sends the tag beside the ciphertext; the server binds it to sender, room, message id and
time (its ``serverTag``). A recipient accepts a message only if the decrypted ``Kf`` and body
open the tag, so every message it shows is one it can later prove to moderators."""

from __future__ import annotations

import hmac

from disco.client.e2ee.primitives import KEY_BYTES, Random, hmac_sha256

__all__ = ["FRANKING_KEY_BYTES", "commit", "new_franking_key", "opens"]

FRANKING_KEY_BYTES = KEY_BYTES


def new_franking_key(random: Random) -> bytes:
    return random(FRANKING_KEY_BYTES)


def commit(franking_key: bytes, body: bytes) -> bytes:
    return hmac_sha256(franking_key, body)


def opens(franking_key: bytes, body: bytes, tag: bytes) -> bool:
    return hmac.compare_digest(commit(franking_key, body), tag)

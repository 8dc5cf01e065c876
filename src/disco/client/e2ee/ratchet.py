"""The Double Ratchet (Signal's specification, revision 4), with X25519 and these choices:

    KDF_RK(rk, dh_out) = HKDF-SHA256(salt = rk, ikm = dh_out, info = "Disco Ratchet v1", 64)
                         -> new root key (first 32 bytes), new chain key (last 32)
    KDF_CK(ck)         = message key HMAC-SHA256(ck, 0x01), next chain key HMAC-SHA256(ck, 0x02)
    ENCRYPT(mk, p, ad) = XChaCha20-Poly1305(key = mk, random 24-byte nonce, p, ad || header)

Skipped message keys are kept so that late and lost messages work, at most ``MAX_SKIP`` per
chain step and ``MAX_SKIPPED_KEYS`` in all (the oldest go first), so a forged counter cannot
exhaust memory. ``decrypt`` never changes the state it is given: it returns the next state,
which the caller keeps only if the message authenticated (the specification's "discard
changes on failure").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from disco.client.e2ee.errors import (
    DecryptionFailed,
    DuplicateMessage,
    TooManySkippedMessages,
    UntrustedKeys,
)
from disco.client.e2ee.primitives import (
    KEY_BYTES,
    DhKeyPair,
    Random,
    aead_decrypt,
    aead_encrypt,
    b64,
    dh,
    hkdf_sha256,
    hmac_sha256,
    unb64,
)
from disco.client.e2ee.wire import Header

__all__ = [
    "MAX_SKIP",
    "MAX_SKIPPED_KEYS",
    "RATCHET_INFO",
    "RatchetState",
    "decrypt",
    "encrypt",
    "kdf_ck",
    "kdf_rk",
]

RATCHET_INFO = b"Disco Ratchet v1"
MAX_SKIP = 1000
MAX_SKIPPED_KEYS = 2000
_MESSAGE_KEY = b"\x01"
_CHAIN_KEY = b"\x02"


def kdf_rk(root_key: bytes, dh_out: bytes) -> tuple[bytes, bytes]:
    """(next root key, chain key)."""
    out = hkdf_sha256(dh_out, salt=root_key, info=RATCHET_INFO, length=2 * KEY_BYTES)
    return out[:KEY_BYTES], out[KEY_BYTES:]


def kdf_ck(chain_key: bytes) -> tuple[bytes, bytes]:
    """(next chain key, message key)."""
    return hmac_sha256(chain_key, _CHAIN_KEY), hmac_sha256(chain_key, _MESSAGE_KEY)


@dataclass(slots=True)
class RatchetState:
    root_key: bytes
    sending_key: DhKeyPair  # DHs
    remote_key: bytes | None  # DHr
    sending_chain: bytes | None  # CKs
    receiving_chain: bytes | None  # CKr
    sent: int = 0  # Ns
    received: int = 0  # Nr
    previous_sent: int = 0  # PN
    skipped: dict[tuple[bytes, int], bytes] = field(default_factory=dict)

    @classmethod
    def initiator(
        cls, shared_secret: bytes, responder_key: bytes, ratchet_key: DhKeyPair
    ) -> RatchetState:
        """Alice, who starts with Bob's signed prekey as his ratchet key."""
        root, chain = kdf_rk(shared_secret, dh(ratchet_key, responder_key))
        return cls(root, ratchet_key, responder_key, chain, None)

    @classmethod
    def responder(cls, shared_secret: bytes, signed_prekey: DhKeyPair) -> RatchetState:
        """Bob, whose first ratchet key pair is the signed prekey Alice used."""
        return cls(shared_secret, signed_prekey, None, None, None)

    def copy(self) -> RatchetState:
        return replace(self, skipped=dict(self.skipped))

    def to_json(self) -> dict[str, Any]:
        def opt(value: bytes | None) -> str | None:
            return None if value is None else b64(value)

        return {
            "rootKey": b64(self.root_key),
            "sendingKey": b64(self.sending_key.private),
            "remoteKey": opt(self.remote_key),
            "sendingChain": opt(self.sending_chain),
            "receivingChain": opt(self.receiving_chain),
            "sent": self.sent,
            "received": self.received,
            "previousSent": self.previous_sent,
            "skipped": [[b64(k), n, b64(mk)] for (k, n), mk in self.skipped.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RatchetState:
        def opt(value: str | None) -> bytes | None:
            return None if value is None else unb64(value)

        return cls(
            root_key=unb64(data["rootKey"]),
            sending_key=DhKeyPair.from_private(unb64(data["sendingKey"])),
            remote_key=opt(data["remoteKey"]),
            sending_chain=opt(data["sendingChain"]),
            receiving_chain=opt(data["receivingChain"]),
            sent=data["sent"],
            received=data["received"],
            previous_sent=data["previousSent"],
            skipped={(unb64(k), n): unb64(mk) for k, n, mk in data["skipped"]},
        )


def encrypt(
    state: RatchetState, plaintext: bytes, associated_data: bytes, nonce: bytes
) -> tuple[Header, bytes]:
    """Advance the sending chain (in place) and encrypt one message with its key."""
    if state.sending_chain is None:
        raise DecryptionFailed("this session cannot send before it has received")
    state.sending_chain, message_key = kdf_ck(state.sending_chain)
    header = Header(state.sending_key.public, state.previous_sent, state.sent)
    state.sent += 1
    return header, aead_encrypt(message_key, nonce, plaintext, associated_data + header.encode())


def decrypt(
    state: RatchetState,
    header: Header,
    nonce: bytes,
    ciphertext: bytes,
    associated_data: bytes,
    random: Random,
) -> tuple[RatchetState, bytes]:
    """The state after this message, and its plaintext; ``state`` itself is left as it was."""
    ad = associated_data + header.encode()
    skipped_key = state.skipped.get((header.ratchet_key, header.number))
    if skipped_key is not None:
        plaintext = aead_decrypt(skipped_key, nonce, ciphertext, ad)
        after = state.copy()
        del after.skipped[(header.ratchet_key, header.number)]
        return after, plaintext

    after = state.copy()
    stepping = header.ratchet_key != after.remote_key
    try:
        if stepping:
            _skip(after, header.previous_chain_length)
            after.previous_sent, after.sent, after.received = after.sent, 0, 0
            after.remote_key = header.ratchet_key
            after.root_key, after.receiving_chain = kdf_rk(
                after.root_key, dh(after.sending_key, header.ratchet_key)
            )
        elif header.number < after.received:
            raise DuplicateMessage("this message's key was used already")
        _skip(after, header.number)
        if after.receiving_chain is None:
            raise DecryptionFailed("no receiving chain for this ratchet key")
        after.receiving_chain, message_key = kdf_ck(after.receiving_chain)
        after.received += 1
        plaintext = aead_decrypt(message_key, nonce, ciphertext, ad)
        if stepping:
            # The second half of the DH ratchet step, done once the message authenticated so
            # that a forged message costs no randomness and leaves nothing behind; the result
            # is exactly the specification's.
            after.sending_key = DhKeyPair.generate(random)
            after.root_key, after.sending_chain = kdf_rk(
                after.root_key, dh(after.sending_key, header.ratchet_key)
            )
    except UntrustedKeys as exc:
        raise DecryptionFailed("a bad ratchet key") from exc
    return after, plaintext


def _skip(state: RatchetState, until: int) -> None:
    """Keep the keys of the receiving chain's messages before ``until`` for when they come."""
    if state.receiving_chain is None or until <= state.received:
        return
    if until - state.received > MAX_SKIP:
        raise TooManySkippedMessages(f"more than {MAX_SKIP} messages skipped")
    assert state.remote_key is not None
    chain = state.receiving_chain
    while state.received < until:
        chain, message_key = kdf_ck(chain)
        state.skipped[(state.remote_key, state.received)] = message_key
        state.received += 1
    state.receiving_chain = chain
    while len(state.skipped) > MAX_SKIPPED_KEYS:
        del state.skipped[next(iter(state.skipped))]

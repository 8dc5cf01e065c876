"""One device's end-to-end encryption without a network: it seals a message into an envelope
for a set of devices (starting X3DH sessions where there are none) and opens the part of an
envelope meant for it. ``SecureChat`` adds the server; the test vectors drive this directly.

Both ``seal`` and ``open`` prepare and leave the device as it was; their ``commit`` keeps the
new session states (and drops a used one-time prekey). The caller commits once it accepts the
result: a message too large to send, or a received one that fails a check after decryption,
changes nothing.

Randomness is drawn in a fixed order (the test vectors rely on it): sealing draws the franking
key (32 bytes), then for each recipient in (user id, device id) order, if it comes with a bundle
(a new session), an X3DH ephemeral key (32) and a first ratchet key (32), then the part's
nonce (24). Opening draws one ratchet key (32) when the message turns the DH ratchet.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from disco.client.e2ee import x3dh
from disco.client.e2ee.errors import (
    DecryptionFailed,
    FrankingMismatch,
    NotForThisDevice,
    UnknownPreKey,
    UntrustedKeys,
)
from disco.client.e2ee.franking import commit, new_franking_key, opens
from disco.client.e2ee.prekeys import DeviceKeys
from disco.client.e2ee.primitives import NONCE_BYTES, DhKeyPair, Random
from disco.client.e2ee.ratchet import RatchetState
from disco.client.e2ee.sessions import DeviceAddress, Session, SessionBook
from disco.client.e2ee.wire import Envelope, Part, Payload

__all__ = ["Device", "Opened", "Recipient", "Sealed"]


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: str
    device_id: str
    bundle: x3dh.DeviceBundle | None  # given: start a new session; None: use the current one

    @property
    def address(self) -> DeviceAddress:
        return (self.user_id, self.device_id)


@dataclass(frozen=True, slots=True)
class Sealed:
    envelope: bytes
    franking_tag: bytes
    payload: Payload
    commit: Callable[[], None]


@dataclass(frozen=True, slots=True)
class Opened:
    payload: Payload
    sender_device_id: str
    started_session: bool  # a session start: a one-time prekey may have been used
    commit: Callable[[], None]


class Device:
    def __init__(
        self,
        user_id: str,
        device_id: str,
        keys: DeviceKeys,
        sessions: SessionBook,
        random: Random,
    ) -> None:
        self.user_id = user_id
        self.device_id = device_id
        self.keys = keys
        self.sessions = sessions
        self._random = random

    def seal(
        self, room_id: str, content_type: int, body: bytes, recipients: Sequence[Recipient]
    ) -> Sealed:
        payload = Payload(content_type, new_franking_key(self._random), room_id, body)
        plaintext = payload.encode()
        parts: list[Part] = []
        updates: list[tuple[DeviceAddress, Session, Session | None]] = []
        for recipient in sorted(recipients, key=lambda r: r.address):
            if recipient.bundle is not None:
                session, replacing = self._start(recipient.bundle), None
            else:
                replacing = self.sessions.current(recipient.address)
                if replacing is None:
                    raise ValueError(f"no session with {recipient.address} and no bundle")
                session = replacing.copy()
            parts.append(session.encrypt(recipient.address, plaintext, self._random(NONCE_BYTES)))
            updates.append((recipient.address, session, replacing))

        def keep() -> None:
            for address, session, replacing in updates:
                self.sessions.promote(address, session, replacing)

        envelope = Envelope(self.device_id, tuple(parts)).encode()
        return Sealed(envelope, commit(payload.franking_key, body), payload, keep)

    def _start(self, bundle: x3dh.DeviceBundle) -> Session:
        """A new session as X3DH's initiator, from the device's bundle (checked first)."""
        ephemeral = DhKeyPair.generate(self._random)
        agreement, preamble = x3dh.initiate(self.keys.identity, bundle, ephemeral)
        ratchet = RatchetState.initiator(
            agreement.shared_secret, bundle.signed_prekey, DhKeyPair.generate(self._random)
        )
        return Session(
            agreement.associated_data,
            bundle.identity_key,
            ephemeral.public,
            preamble,
            ratchet,
        )

    def open(
        self,
        sender_id: str,
        room_id: str,
        envelope: Envelope,
        franking_tag: bytes,
        sender_identity: bytes | None,
    ) -> Opened:
        """This device's part of ``envelope``, decrypted and checked: sent to ``room_id``, and
        opening ``franking_tag``. ``sender_identity`` is the identity key the directory lists
        for the sending device; a session start from any other identity is refused."""
        part = envelope.part_for(self.user_id, self.device_id)
        if part is None:
            raise NotForThisDevice("the message holds no part for this device")
        address = (sender_id, envelope.sender_device_id)
        if part.preamble is None:
            plaintext, keep = self.sessions.decrypt(address, part, self._random)
        else:
            plaintext, keep = self._open_session_start(address, part, sender_identity)
        payload = Payload.decode(plaintext)
        if payload.room_id != room_id:
            raise DecryptionFailed("the message was sent to another chat")
        if not opens(payload.franking_key, payload.body, franking_tag):
            raise FrankingMismatch("the message does not open its franking tag")
        return Opened(payload, envelope.sender_device_id, part.preamble is not None, keep)

    def _open_session_start(
        self, address: DeviceAddress, part: Part, sender_identity: bytes | None
    ) -> tuple[bytes, Callable[[], None]]:
        preamble = part.preamble
        assert preamble is not None
        if sender_identity is None or not hmac.compare_digest(
            sender_identity, preamble.identity_key
        ):
            raise UntrustedKeys("the session start is not from the identity the directory lists")
        known = self.sessions.started_by(address, preamble.base_key)
        if known is not None:
            # The same session start again: a later message sent before we answered.
            if known.peer_identity != preamble.identity_key:
                raise UntrustedKeys("another identity reused a session start")
            after, plaintext = known.decrypt(part, self._random)
            return plaintext, partial(self.sessions.promote, address, after, known)
        signed = self.keys.signed_prekey_pair(preamble.signed_prekey_id)
        if signed is None:
            raise UnknownPreKey("the signed prekey it names is gone")
        one_time = None
        if preamble.one_time_prekey_id is not None:
            one_time = self.keys.one_time_prekey_pair(preamble.one_time_prekey_id)
            if one_time is None:
                raise UnknownPreKey("the one-time prekey it names was used already")
        agreement = x3dh.respond(self.keys.identity, signed, one_time, preamble)
        session = Session(
            agreement.associated_data,
            preamble.identity_key,
            preamble.base_key,
            None,
            RatchetState.responder(agreement.shared_secret, signed),
        )
        after, plaintext = session.decrypt(part, self._random)

        def keep() -> None:
            self.sessions.promote(address, after, None)
            if preamble.one_time_prekey_id is not None:
                self.keys.forget_one_time_prekey(preamble.one_time_prekey_id)

        return plaintext, keep

"""Sessions between this device and each peer device: a Double Ratchet plus what X3DH fixed
(the associated data, the peer's identity key, the base key that names the session start).

A device pair can hold a few sessions at once, as in Signal: when both sides start one at the
same moment, or a peer reinstalls, messages may arrive in either. The newest in use is the
*current* one (used to send); the others are tried when decrypting, and one that works becomes
current. At most ``MAX_SESSIONS_PER_DEVICE`` are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from disco.client.e2ee.errors import DecryptionFailed, DuplicateMessage, TooManySkippedMessages
from disco.client.e2ee.primitives import Random, b64, unb64
from disco.client.e2ee.ratchet import RatchetState, decrypt, encrypt
from disco.client.e2ee.wire import Part, Preamble

__all__ = ["MAX_SESSIONS_PER_DEVICE", "DeviceAddress", "Session", "SessionBook"]

MAX_SESSIONS_PER_DEVICE = 5

DeviceAddress = tuple[str, str]  # (user id, device id)


@dataclass(slots=True)
class Session:
    associated_data: bytes  # X3DH's AD: initiator identity key || responder identity key
    peer_identity: bytes
    base_key: bytes  # the initiator's X3DH ephemeral key: names this session start
    preamble: Preamble | None  # sent along until the peer answers (the initiator only)
    ratchet: RatchetState

    def encrypt(self, address: DeviceAddress, payload: bytes, nonce: bytes) -> Part:
        header, ciphertext = encrypt(self.ratchet, payload, self.associated_data, nonce)
        return Part(address[0], address[1], self.preamble, header, nonce, ciphertext)

    def decrypt(self, part: Part, random: Random) -> tuple[Session, bytes]:
        """This session after ``part``, and the plaintext; ``self`` unchanged."""
        ratchet, plaintext = decrypt(
            self.ratchet, part.header, part.nonce, part.ciphertext, self.associated_data, random
        )
        # Anything received in this session proves the peer has it: stop sending the preamble.
        after = Session(self.associated_data, self.peer_identity, self.base_key, None, ratchet)
        return after, plaintext

    def copy(self) -> Session:
        return Session(
            self.associated_data,
            self.peer_identity,
            self.base_key,
            self.preamble,
            self.ratchet.copy(),
        )

    def to_json(self) -> dict[str, Any]:
        preamble = self.preamble
        return {
            "associatedData": b64(self.associated_data),
            "peerIdentity": b64(self.peer_identity),
            "baseKey": b64(self.base_key),
            "preamble": None if preamble is None else b64(preamble.encode()),
            "ratchet": self.ratchet.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        preamble = data["preamble"]
        return cls(
            associated_data=unb64(data["associatedData"]),
            peer_identity=unb64(data["peerIdentity"]),
            base_key=unb64(data["baseKey"]),
            preamble=None if preamble is None else Preamble.decode(unb64(preamble)),
            ratchet=RatchetState.from_json(data["ratchet"]),
        )


class SessionBook:
    """Every session of this device, by peer device; current first."""

    def __init__(self, sessions: dict[DeviceAddress, list[Session]] | None = None) -> None:
        self._sessions = sessions or {}

    def current(self, address: DeviceAddress) -> Session | None:
        states = self._sessions.get(address)
        return states[0] if states else None

    def started_by(self, address: DeviceAddress, base_key: bytes) -> Session | None:
        for session in self._sessions.get(address, []):
            if session.base_key == base_key:
                return session
        return None

    def promote(self, address: DeviceAddress, session: Session, replacing: Session | None) -> None:
        """Make ``session`` current, in place of ``replacing`` (its earlier state) if given."""
        states = [s for s in self._sessions.get(address, []) if s is not replacing]
        self._sessions[address] = [session, *states][:MAX_SESSIONS_PER_DEVICE]

    def forget(self, address: DeviceAddress) -> None:
        self._sessions.pop(address, None)

    def addresses(self) -> list[DeviceAddress]:
        return list(self._sessions)

    def decrypt(
        self, address: DeviceAddress, part: Part, random: Random
    ) -> tuple[bytes, Callable[[], None]]:
        """The plaintext of a part without a preamble, and the commit that keeps the session's
        new state (the caller commits once it accepts the message). Tries the current session,
        then the older ones."""
        failures: list[DecryptionFailed] = []
        for session in self._sessions.get(address, []):
            try:
                after, plaintext = session.decrypt(part, random)
            except DecryptionFailed as error:
                failures.append(error)
                continue
            return plaintext, partial(self.promote, address, after, session)
        # The most telling reason: a replay, then a counter too far ahead, then any.
        for kind in (DuplicateMessage, TooManySkippedMessages):
            for failure in failures:
                if isinstance(failure, kind):
                    raise failure
        raise DecryptionFailed("no session with this device decrypts the message")

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {"userId": user, "deviceId": device, "sessions": [s.to_json() for s in states]}
            for (user, device), states in self._sessions.items()
        ]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> SessionBook:
        return cls(
            {
                (entry["userId"], entry["deviceId"]): [
                    Session.from_json(s) for s in entry["sessions"]
                ]
                for entry in data
            }
        )

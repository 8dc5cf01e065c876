"""This device's own keys: its identity key, its signed prekeys (the current one and a few
older ones, for session starts made from a bundle fetched before a rotation) and the private
halves of its one-time prekeys (each deleted when a session start uses it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from disco.client.e2ee.primitives import DhKeyPair, IdentityKeyPair, Random, b64, unb64

__all__ = [
    "MAX_HELD_ONE_TIME_PREKEYS",
    "OLD_SIGNED_PREKEYS_KEPT",
    "DeviceKeys",
    "SignedPreKey",
]

OLD_SIGNED_PREKEYS_KEPT = 3
# One-time prekeys handed out but never used pile up (a peer fetched a bundle and never
# wrote); past this many, the oldest private halves go.
MAX_HELD_ONE_TIME_PREKEYS = 500


@dataclass(frozen=True, slots=True)
class SignedPreKey:
    key_id: int
    pair: DhKeyPair
    signature: bytes  # Ed25519 by the identity key over the 32 public bytes
    created_at: float  # seconds since the epoch, on the SDK's clock

    def to_json(self) -> dict[str, Any]:
        return {
            "keyId": self.key_id,
            "private": b64(self.pair.private),
            "signature": b64(self.signature),
            "createdAt": self.created_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SignedPreKey:
        return cls(
            data["keyId"],
            DhKeyPair.from_private(unb64(data["private"])),
            unb64(data["signature"]),
            data["createdAt"],
        )


class DeviceKeys:
    def __init__(
        self,
        identity: IdentityKeyPair,
        signed_prekeys: list[SignedPreKey],
        one_time_prekeys: dict[int, DhKeyPair],
        next_one_time_id: int,
    ) -> None:
        self.identity = identity
        self._signed = signed_prekeys  # newest last
        self._one_time = one_time_prekeys
        self._next_one_time_id = next_one_time_id

    @classmethod
    def create(cls, random: Random, now: float) -> DeviceKeys:
        identity = IdentityKeyPair.generate(random)
        keys = cls(identity, [], {}, 0)
        keys.rotate_signed_prekey(random, now)
        return keys

    # --- signed prekeys -------------------------------------------------------------------------
    @property
    def signed_prekey(self) -> SignedPreKey:
        return self._signed[-1]

    def rotate_signed_prekey(self, random: Random, now: float) -> SignedPreKey:
        pair = DhKeyPair.generate(random)
        key_id = self._signed[-1].key_id + 1 if self._signed else 1
        signed = SignedPreKey(key_id, pair, self.identity.sign(pair.public), now)
        self._signed = [*self._signed, signed][-(OLD_SIGNED_PREKEYS_KEPT + 1) :]
        return signed

    def signed_prekey_pair(self, key_id: int) -> DhKeyPair | None:
        for signed in self._signed:
            if signed.key_id == key_id:
                return signed.pair
        return None

    # --- one-time prekeys -----------------------------------------------------------------------
    def new_one_time_prekeys(self, count: int, random: Random) -> dict[int, DhKeyPair]:
        made = {}
        for _ in range(count):
            made[self._next_one_time_id] = DhKeyPair.generate(random)
            self._next_one_time_id += 1
        self._one_time.update(made)
        for key_id in sorted(self._one_time)[
            : max(0, len(self._one_time) - MAX_HELD_ONE_TIME_PREKEYS)
        ]:
            del self._one_time[key_id]
        return made

    def one_time_prekey_pair(self, key_id: int) -> DhKeyPair | None:
        return self._one_time.get(key_id)

    def forget_one_time_prekey(self, key_id: int) -> None:
        """Used once: gone, so a replayed session start cannot use it again."""
        self._one_time.pop(key_id, None)

    @property
    def one_time_prekeys_held(self) -> int:
        return len(self._one_time)

    # --- the directory's view -------------------------------------------------------------------
    def upload(self, device_id: str, one_time: dict[int, DhKeyPair]) -> dict[str, Any]:
        """The ``PUT /v1/keys`` body: public halves only."""
        signed = self.signed_prekey
        return {
            "deviceId": device_id,
            "identityKey": b64(self.identity.public),
            "signedPreKey": {
                "keyId": signed.key_id,
                "publicKey": b64(signed.pair.public),
                "signature": b64(signed.signature),
            },
            "oneTimePreKeys": [
                {"keyId": key_id, "publicKey": b64(pair.public)}
                for key_id, pair in sorted(one_time.items())
            ],
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "identitySeed": b64(self.identity.seed),
            "signedPreKeys": [s.to_json() for s in self._signed],
            "oneTimePreKeys": {str(k): b64(p.private) for k, p in self._one_time.items()},
            "nextOneTimeId": self._next_one_time_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeviceKeys:
        return cls(
            IdentityKeyPair(unb64(data["identitySeed"])),
            [SignedPreKey.from_json(s) for s in data["signedPreKeys"]],
            {int(k): DhKeyPair.from_private(unb64(v)) for k, v in data["oneTimePreKeys"].items()},
            data["nextOneTimeId"],
        )

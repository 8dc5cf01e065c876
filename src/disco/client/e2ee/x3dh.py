"""X3DH key agreement (Signal's specification, revision 1), with Ed25519 identity keys used
for Diffie-Hellman through libsodium's conversion to X25519.

    DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)   DH4 = DH(EK_A, OPK_B)
    SK  = HKDF-SHA256(salt = 32 zero bytes, ikm = 32 0xFF bytes || DH1 || DH2 || DH3 [|| DH4],
                      info = "Disco X3DH v1", 32 bytes)
    AD  = IK_A || IK_B      (the two 32-byte Ed25519 identity keys, initiator first)

The initiator checks the signed prekey's signature before using anything of the bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from disco.client.e2ee.errors import MalformedMessage
from disco.client.e2ee.primitives import (
    KEY_BYTES,
    SIGNATURE_BYTES,
    DhKeyPair,
    IdentityKeyPair,
    dh,
    hkdf_sha256,
    identity_public_to_x25519,
    unb64,
    verify_signature,
)
from disco.client.e2ee.wire import Preamble

__all__ = ["X3DH_INFO", "Agreement", "DeviceBundle", "initiate", "respond"]

X3DH_INFO = b"Disco X3DH v1"
_F = b"\xff" * 32  # X25519's F: keeps the KDF input apart from any other protocol's


@dataclass(frozen=True, slots=True)
class DeviceBundle:
    """One device of a ``GET /v1/keys/{userId}`` answer, decoded."""

    device_id: str
    identity_key: bytes
    signed_prekey_id: int
    signed_prekey: bytes
    signed_prekey_signature: bytes
    one_time_prekey_id: int | None
    one_time_prekey: bytes | None

    @classmethod
    def from_api(cls, device: dict[str, Any]) -> DeviceBundle:
        try:
            signed = device["signedPreKey"]
            one_time = device.get("oneTimePreKey")
            return cls(
                device_id=str(device["deviceId"]),
                identity_key=unb64(device["identityKey"], KEY_BYTES),
                signed_prekey_id=int(signed["keyId"]),
                signed_prekey=unb64(signed["publicKey"], KEY_BYTES),
                signed_prekey_signature=unb64(signed["signature"], SIGNATURE_BYTES),
                one_time_prekey_id=None if one_time is None else int(one_time["keyId"]),
                one_time_prekey=None if one_time is None else unb64(one_time["publicKey"], 32),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedMessage("not a device key bundle") from exc

    def verify(self) -> None:
        """UntrustedKeys unless the identity key signed the signed prekey."""
        identity_public_to_x25519(self.identity_key)
        verify_signature(self.identity_key, self.signed_prekey, self.signed_prekey_signature)

    def without_one_time_prekey(self) -> DeviceBundle:
        return DeviceBundle(
            self.device_id,
            self.identity_key,
            self.signed_prekey_id,
            self.signed_prekey,
            self.signed_prekey_signature,
            None,
            None,
        )


@dataclass(frozen=True, slots=True)
class Agreement:
    shared_secret: bytes  # SK: the Double Ratchet's first root key
    associated_data: bytes  # AD = IK_A || IK_B


def _derive(secrets: list[bytes]) -> bytes:
    return hkdf_sha256(_F + b"".join(secrets), salt=bytes(32), info=X3DH_INFO, length=KEY_BYTES)


def initiate(
    identity: IdentityKeyPair, bundle: DeviceBundle, ephemeral: DhKeyPair
) -> tuple[Agreement, Preamble]:
    """Alice's side: the shared secret, and the preamble Bob needs to compute it too."""
    bundle.verify()
    identity_dh = identity.dh_pair()
    secrets = [
        dh(identity_dh, bundle.signed_prekey),
        dh(ephemeral, identity_public_to_x25519(bundle.identity_key)),
        dh(ephemeral, bundle.signed_prekey),
    ]
    if bundle.one_time_prekey is not None:
        secrets.append(dh(ephemeral, bundle.one_time_prekey))
    agreement = Agreement(_derive(secrets), identity.public + bundle.identity_key)
    preamble = Preamble(
        identity_key=identity.public,
        base_key=ephemeral.public,
        signed_prekey_id=bundle.signed_prekey_id,
        one_time_prekey_id=bundle.one_time_prekey_id,
    )
    return agreement, preamble


def respond(
    identity: IdentityKeyPair,
    signed_prekey: DhKeyPair,
    one_time_prekey: DhKeyPair | None,
    preamble: Preamble,
) -> Agreement:
    """Bob's side, from his private keys and Alice's preamble."""
    initiator_dh = identity_public_to_x25519(preamble.identity_key)
    secrets = [
        dh(signed_prekey, initiator_dh),
        dh(identity.dh_pair(), preamble.base_key),
        dh(signed_prekey, preamble.base_key),
    ]
    if one_time_prekey is not None:
        secrets.append(dh(one_time_prekey, preamble.base_key))
    return Agreement(_derive(secrets), preamble.identity_key + identity.public)

"""Wire models of the key directory. Keys are base64 (RFC 4648, padded): 32-byte public keys,
64-byte Ed25519 signatures."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from disco.platform.encoding import base64_of
from disco.platform.wire import ApiModel, RequestModel

__all__ = ["DeviceKeys", "KeyBundle", "KeysIn", "MyDevice", "MyKeys", "PreKey", "SignedPreKey"]

DEVICE_ID = r"^[A-Za-z0-9_-]{1,64}$"
MAX_ONE_TIME_PREKEYS = 100


PublicKey = Annotated[str, Field(max_length=44), base64_of(32)]
Signature = Annotated[str, Field(max_length=88), base64_of(64)]
KeyId = Annotated[int, Field(ge=0, le=2**53)]


class PreKey(RequestModel):
    key_id: KeyId
    public_key: PublicKey


class SignedPreKey(PreKey):
    signature: Signature  # Ed25519, by the identity key, over the prekey's 32 bytes


class KeysIn(RequestModel):
    """A device's keys: the first upload registers the device; later ones rotate its signed
    prekey and top up its one-time prekeys (a changed identity key is a new device identity,
    and every peer is told)."""

    device_id: str = Field(pattern=DEVICE_ID)
    identity_key: PublicKey  # Ed25519
    signed_pre_key: SignedPreKey
    one_time_pre_keys: list[PreKey] = Field(default_factory=list, max_length=MAX_ONE_TIME_PREKEYS)


class PreKeyOut(ApiModel):
    key_id: int
    public_key: str


class SignedPreKeyOut(PreKeyOut):
    signature: str


class DeviceKeys(ApiModel):
    device_id: str
    identity_key: str
    signed_pre_key: SignedPreKeyOut
    one_time_pre_key: PreKeyOut | None  # none left: the session starts without one


class KeyBundle(ApiModel):
    """What a peer needs to start a session with each of the user's devices."""

    user_id: str
    devices: list[DeviceKeys]


class MyDevice(ApiModel):
    device_id: str
    identity_key: str
    signed_pre_key_id: int
    one_time_pre_keys_left: int
    low: bool  # time to upload more


class MyKeys(ApiModel):
    devices: list[MyDevice]

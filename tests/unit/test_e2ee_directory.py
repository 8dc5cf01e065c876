"""The SDK's view of the key directory: bundles checked as they arrive, one-time prekeys used
once, identity keys remembered per device and a changed one recorded."""

from __future__ import annotations

from typing import Any, cast

import pytest

from disco.client import DiscoClient
from disco.client.e2ee.directory import KeyChange, KeyDirectory
from disco.client.e2ee.errors import UntrustedKeys
from disco.client.e2ee.primitives import b64
from tests.support.e2ee import new_device


class Directory:
    """A server's ``GET /v1/keys/{userId}`` answers, as a test sets them."""

    def __init__(self) -> None:
        self.devices: list[dict[str, Any]] = []
        self.fetches = 0

    async def get(self, path: str) -> dict[str, Any]:
        self.fetches += 1
        return {"userId": path.rsplit("/", 1)[-1], "devices": self.devices}


def listing(device_id: str = "phone", one_time: bool = True) -> dict[str, Any]:
    device = new_device("bob", device_id)
    fresh = device.keys.new_one_time_prekeys(1, lambda n: bytes([7]) * n) if one_time else {}
    upload = device.keys.upload(device_id, fresh)
    return {**upload, "oneTimePreKey": upload["oneTimePreKeys"][0] if one_time else None}


def directory_over(server: Directory) -> KeyDirectory:
    return KeyDirectory(cast(DiscoClient, server), {})


async def test_a_bundle_whose_signed_prekey_does_not_verify_is_refused_whole() -> None:
    server = Directory()
    forged = listing("laptop")
    forged["signedPreKey"] = {**forged["signedPreKey"], "publicKey": b64(bytes([9]) * 32)}
    server.devices = [listing("phone"), forged]
    with pytest.raises(UntrustedKeys):
        await directory_over(server).devices("bob")


async def test_bundles_are_cached_and_a_one_time_prekey_is_handed_out_once() -> None:
    server = Directory()
    server.devices = [listing("phone")]
    directory = directory_over(server)
    assert set(await directory.devices("bob")) == {"phone"}
    first = directory.take_bundle("bob", "phone")
    second = directory.take_bundle("bob", "phone")
    assert first.one_time_prekey is not None and second.one_time_prekey is None
    await directory.devices("bob")
    assert server.fetches == 1
    directory.noted(KeyChange("bob", "laptop", "added"))  # a key_changed frame
    await directory.devices("bob")
    assert server.fetches == 2


async def test_a_device_back_with_another_identity_is_a_recorded_change() -> None:
    server = Directory()
    server.devices = [listing("phone")]
    directory = directory_over(server)
    await directory.devices("bob")
    assert directory.changes == []
    server.devices = [listing("phone")]  # reinstalled: a new identity key
    await directory.devices("bob", refresh=True)
    assert directory.changes == [KeyChange("bob", "phone", "changed")]
    assert directory.known["bob"]["phone"] == server.devices[0]["identityKey"]

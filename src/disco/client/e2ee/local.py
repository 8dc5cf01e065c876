"""This device's end-to-end state as the SDK keeps it: loaded from and saved to its
``KeyStore`` (keys, sessions, the identity keys seen of others), and its public half kept up
to date in the key directory: published, topped up, rotated."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from disco.client.e2ee.device import Device
from disco.client.e2ee.directory import KeyDirectory
from disco.client.e2ee.errors import E2eeError
from disco.client.e2ee.prekeys import DeviceKeys
from disco.client.e2ee.primitives import DhKeyPair, Random, b64
from disco.client.e2ee.sessions import SessionBook
from disco.client.e2ee.store import KeyStore

if TYPE_CHECKING:
    from disco.client.sdk import DiscoClient

__all__ = ["ONE_TIME_PREKEY_TARGET", "SIGNED_PREKEY_LIFETIME", "STATE_VERSION", "LocalDevice"]

ONE_TIME_PREKEY_TARGET = 100  # topped up to this when the directory says "low"
SIGNED_PREKEY_LIFETIME = 7 * 24 * 3600.0  # rotated after a week, as Signal does
STATE_VERSION = 1


class LocalDevice:
    def __init__(
        self,
        client: DiscoClient,
        store: KeyStore,
        device: Device,
        directory: KeyDirectory,
        *,
        random: Random,
        clock: Callable[[], float],
    ) -> None:
        self._client = client
        self._store = store
        self.device = device
        self.directory = directory
        self._random = random
        self._clock = clock
        # One change of keys and sessions at a time: the ratchets are not reentrant, and a
        # save must capture one consistent state.
        self.lock = asyncio.Lock()

    @classmethod
    def load(
        cls,
        client: DiscoClient,
        user_id: str,
        device_id: str,
        store: KeyStore,
        *,
        random: Random,
        clock: Callable[[], float],
    ) -> LocalDevice:
        """The stored state, or new keys (saved at once) if there is none."""
        document = store.load()
        if document is None:
            keys, sessions, known = DeviceKeys.create(random, clock()), SessionBook(), {}
        else:
            if document.get("version") != STATE_VERSION:
                raise E2eeError(f"unknown key store version {document.get('version')}")
            if (document.get("userId"), document.get("deviceId")) != (user_id, device_id):
                raise E2eeError("this key store belongs to another person or device")
            keys = DeviceKeys.from_json(document["keys"])
            sessions = SessionBook.from_json(document["sessions"])
            known = document["identities"]
        device = Device(user_id, device_id, keys, sessions, random)
        local = cls(client, store, device, KeyDirectory(client, known), random=random, clock=clock)
        local.save()
        return local

    def save(self) -> None:
        self._store.save(
            {
                "version": STATE_VERSION,
                "userId": self.device.user_id,
                "deviceId": self.device.device_id,
                "keys": self.device.keys.to_json(),
                "sessions": self.device.sessions.to_json(),
                "identities": self.directory.known,
            }
        )

    async def maintain(self, one_time_target: int) -> int:
        """Publish this device's keys if the directory lacks them, rotate the signed prekey
        once it is a week old, and top one-time prekeys up to ``one_time_target`` when the
        directory says they are low. How many the directory holds now. Call with the lock."""
        keys, device_id = self.device.keys, self.device.device_id
        mine = await self._client.get("/v1/keys")
        listed = next((d for d in mine["devices"] if d["deviceId"] == device_id), None)
        if listed is not None and listed["identityKey"] != b64(keys.identity.public):
            listed = None  # another identity under this id: the directory dropped its keys
        left = 0 if listed is None else int(listed["oneTimePreKeysLeft"])
        outdated = listed is None or listed["signedPreKeyId"] != keys.signed_prekey.key_id
        if self._clock() - keys.signed_prekey.created_at > SIGNED_PREKEY_LIFETIME:
            keys.rotate_signed_prekey(self._random, self._clock())
            outdated = True
        fresh = {}
        if listed is None or listed["low"]:
            fresh = keys.new_one_time_prekeys(one_time_target - left, self._random)
        if not outdated and not fresh:
            return left
        return await self._publish(fresh)

    async def rotate_signed_prekey(self) -> None:
        """Call with the lock."""
        self.device.keys.rotate_signed_prekey(self._random, self._clock())
        await self._publish({})

    async def _publish(self, fresh: dict[int, DhKeyPair]) -> int:
        self.save()  # the private halves first: never publish a key this device could lose
        device_id = self.device.device_id
        answer: dict[str, Any] = await self._client.put(
            "/v1/keys", self.device.keys.upload(device_id, fresh)
        )
        (listed,) = [d for d in answer["devices"] if d["deviceId"] == device_id]
        return int(listed["oneTimePreKeysLeft"])

"""People's device keys as the key directory lists them (``GET /v1/keys/{userId}``), cached for
the life of the process and dropped when a ``key_changed`` frame says they changed.

Every bundle is checked as it arrives (the signed prekey must verify under the identity key);
one that does not is refused outright, since only a lying server could serve it. Identity
keys are remembered per device, trust on first use: a device that comes back with another
identity key is recorded as a ``KeyChange`` (the safety number changed; an app should say so).

A peer's bundle fetch takes one of each device's one-time prekeys (the server hands each out
once), so a fetched one-time prekey is kept here until a session start uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from disco.client.e2ee.errors import MalformedMessage
from disco.client.e2ee.primitives import b64
from disco.client.e2ee.x3dh import DeviceBundle

if TYPE_CHECKING:
    from disco.client.sdk import DiscoClient

__all__ = ["KeyChange", "KeyDirectory"]


@dataclass(frozen=True, slots=True)
class KeyChange:
    user_id: str
    device_id: str
    change: Literal["added", "changed", "removed"]


class KeyDirectory:
    def __init__(self, client: DiscoClient, known: dict[str, dict[str, str]]) -> None:
        self._client = client
        self._cache: dict[str, dict[str, DeviceBundle]] = {}
        # user id -> device id -> base64 identity key first seen: persisted by the caller.
        self.known = known
        self.changes: list[KeyChange] = []

    async def devices(self, user_id: str, *, refresh: bool = False) -> dict[str, DeviceBundle]:
        """The user's devices by id, each checked."""
        if refresh or user_id not in self._cache:
            answer = await self._client.get(f"/v1/keys/{user_id}")
            if not isinstance(answer, dict) or not isinstance(answer.get("devices"), list):
                raise MalformedMessage("not a key bundle answer")
            bundles = {}
            for device in answer["devices"]:
                bundle = DeviceBundle.from_api(device)
                bundle.verify()
                bundles[bundle.device_id] = bundle
            self._remember(user_id, bundles)
            self._cache[user_id] = bundles
        return self._cache[user_id]

    def _remember(self, user_id: str, bundles: dict[str, DeviceBundle]) -> None:
        seen = self.known.setdefault(user_id, {})
        for device_id, bundle in bundles.items():
            identity = b64(bundle.identity_key)
            if device_id in seen and seen[device_id] != identity:
                self.changes.append(KeyChange(user_id, device_id, "changed"))
            seen[device_id] = identity

    def take_bundle(self, user_id: str, device_id: str) -> DeviceBundle:
        """A cached bundle to start a session with; its one-time prekey is handed out once."""
        bundle = self._cache[user_id][device_id]
        self._cache[user_id][device_id] = bundle.without_one_time_prekey()
        return bundle

    async def identity_of(self, user_id: str, device_id: str, expected: bytes) -> bytes | None:
        """The identity key the directory lists for a device; fetched again if the cache
        does not have this device or shows another key (it may have changed since)."""
        bundle = (await self.devices(user_id)).get(device_id)
        if bundle is None or bundle.identity_key != expected:
            bundle = (await self.devices(user_id, refresh=True)).get(device_id)
        return None if bundle is None else bundle.identity_key

    def forget(self, user_id: str) -> None:
        self._cache.pop(user_id, None)

    def noted(self, change: KeyChange) -> None:
        """A ``key_changed`` frame: fetch the user's keys again when next needed."""
        self.forget(change.user_id)
        if change.change == "removed":
            self.known.get(change.user_id, {}).pop(change.device_id, None)
        self.changes.append(change)

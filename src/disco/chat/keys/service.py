"""The rules of the key directory: a device's keys are checked before they are stored (the
signed prekey must carry a valid signature of the identity key), each one-time prekey is handed
out once, only to someone who shares an open room with the owner, and peers hear when a
person's devices or identity keys change (``key_changed`` frames), so they can check safety
numbers again."""

from __future__ import annotations

import base64
import math

from nacl.bindings import crypto_sign_ed25519_pk_to_curve25519
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey

from disco.chat.keys.repository import DeviceRow, KeysRepository
from disco.chat.keys.schemas import (
    DeviceKeys,
    KeyBundle,
    KeysIn,
    MyDevice,
    MyKeys,
    PreKeyOut,
    SignedPreKeyOut,
)
from disco.chat.repository import ChatRepository
from disco.contracts.events.realtime import RealtimePushed
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork
from disco.platform.errors import Conflict, NotFound, RateLimited, ValidationFailed

__all__ = ["KeysService"]

MAX_PREKEYS_PER_DEVICE = 200
LOW_PREKEYS = 10
MAX_DEVICES = 10
NO_KEYS = "No keys to hand out to you for this person."


class KeysService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._clock = ctx.clock
        self._kv = ctx.kv
        self._fetches_per_hour = ctx.settings.chat_key_fetches_per_hour

    async def put(self, uow: UnitOfWork, user_id: str, body: KeysIn) -> MyKeys:
        _check_keys(body)
        repo = KeysRepository(uow)
        known = await repo.device(user_id, body.device_id)
        if known is None and len(await repo.devices_of(user_id)) >= MAX_DEVICES:
            raise Conflict(f"At most {MAX_DEVICES} devices; remove one first.")
        identity_changed = known is None or known.identity_key != body.identity_key
        if identity_changed:
            # Prekeys made for another identity are useless to a peer now.
            await repo.forget_prekeys(user_id, body.device_id)
        stored = (
            0 if identity_changed else (await repo.prekey_counts(user_id)).get(body.device_id, 0)
        )
        if stored + len(body.one_time_pre_keys) > MAX_PREKEYS_PER_DEVICE:
            raise ValidationFailed(
                f"A device holds at most {MAX_PREKEYS_PER_DEVICE} one-time prekeys.",
                details=[{"field": "oneTimePreKeys", "message": f"{stored} stored already"}],
            )
        await repo.put_device(
            DeviceRow(
                user_id=user_id,
                device_id=body.device_id,
                identity_key=body.identity_key,
                signed_prekey_id=body.signed_pre_key.key_id,
                signed_prekey=body.signed_pre_key.public_key,
                signed_prekey_signature=body.signed_pre_key.signature,
                updated_at=self._clock.now(),
            )
        )
        await repo.add_prekeys(
            user_id, body.device_id, [(k.key_id, k.public_key) for k in body.one_time_pre_keys]
        )
        if identity_changed:
            change = "added" if known is None else "changed"
            await self._announce(uow, user_id, body.device_id, change)
        return await self.mine(uow, user_id)

    async def mine(self, uow: UnitOfWork, user_id: str) -> MyKeys:
        repo = KeysRepository(uow)
        counts = await repo.prekey_counts(user_id)
        return MyKeys(
            devices=[
                MyDevice(
                    device_id=d.device_id,
                    identity_key=d.identity_key,
                    signed_pre_key_id=d.signed_prekey_id,
                    one_time_pre_keys_left=counts.get(d.device_id, 0),
                    low=counts.get(d.device_id, 0) < LOW_PREKEYS,
                )
                for d in await repo.devices_of(user_id)
            ]
        )

    async def remove(self, uow: UnitOfWork, user_id: str, device_id: str) -> None:
        if not await KeysRepository(uow).remove_device(user_id, device_id):
            raise NotFound("No such device.")
        await self._announce(uow, user_id, device_id, "removed")

    async def bundle(self, uow: UnitOfWork, caller_id: str, user_id: str) -> KeyBundle:
        """Keys to start a session with each of ``user_id``'s devices, one-time prekeys
        included (each taken from the directory as it is handed out). The owner sees their
        own devices without taking any."""
        own = caller_id == user_id
        if not own and user_id not in await ChatRepository(uow).open_peers_of(caller_id):
            raise NotFound(NO_KEYS)
        if not own:
            await self._spend_budget(caller_id, user_id)
        repo = KeysRepository(uow)
        devices = []
        for device in await repo.devices_of(user_id):
            taken = None if own else await repo.take_prekey(user_id, device.device_id)
            devices.append(
                DeviceKeys(
                    device_id=device.device_id,
                    identity_key=device.identity_key,
                    signed_pre_key=SignedPreKeyOut(
                        key_id=device.signed_prekey_id,
                        public_key=device.signed_prekey,
                        signature=device.signed_prekey_signature,
                    ),
                    one_time_pre_key=(
                        None if taken is None else PreKeyOut(key_id=taken[0], public_key=taken[1])
                    ),
                )
            )
        return KeyBundle(user_id=user_id, devices=devices)

    async def _spend_budget(self, caller_id: str, user_id: str) -> None:
        # Each fetch spends one-time prekeys: a peer may not drain someone's supply.
        count, reset = await self._kv.hit(f"chat:keys:{caller_id}:{user_id}", 3600)
        if count > self._fetches_per_hour:
            raise RateLimited(
                "You have fetched these keys too often; try again later.",
                headers={"Retry-After": str(max(1, math.ceil(reset)))},
            )

    async def _announce(self, uow: UnitOfWork, user_id: str, device_id: str, change: str) -> None:
        peers = await ChatRepository(uow).open_peers_of(user_id)
        frame = {"userId": user_id, "deviceId": device_id, "change": change}
        # The owner's other devices too: they encrypt for this one from now on.
        await uow.publish(
            RealtimePushed(user_ids=[user_id, *peers], frame_type="key_changed", data=frame)
        )


def _check_keys(body: KeysIn) -> None:
    identity = base64.b64decode(body.identity_key)
    try:
        crypto_sign_ed25519_pk_to_curve25519(identity)
        VerifyKey(identity).verify(
            base64.b64decode(body.signed_pre_key.public_key),
            base64.b64decode(body.signed_pre_key.signature),
        )
    except BadSignatureError as exc:
        raise ValidationFailed(
            "The signed prekey's signature does not verify under the identity key.",
            details=[{"field": "signedPreKey.signature", "message": "bad signature"}],
        ) from exc
    except (CryptoError, ValueError) as exc:
        raise ValidationFailed(
            "The identity key is not an Ed25519 public key.",
            details=[{"field": "identityKey", "message": "not a valid key"}],
        ) from exc

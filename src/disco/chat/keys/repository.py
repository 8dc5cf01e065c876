"""Every SQL statement of the key directory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from disco.chat import models as m
from disco.platform.repository import Repository

__all__ = ["DeviceRow", "KeysRepository"]


@dataclass(frozen=True, slots=True)
class DeviceRow:
    user_id: str
    device_id: str
    identity_key: str
    signed_prekey_id: int
    signed_prekey: str
    signed_prekey_signature: str
    updated_at: datetime


class KeysRepository(Repository):
    async def device(self, user_id: str, device_id: str) -> DeviceRow | None:
        d = m.devices
        query = select(d).where(d.c.user_id == user_id, d.c.device_id == device_id)
        row = (await self._s.execute(query)).first()
        return None if row is None else DeviceRow(**row._mapping)

    async def devices_of(self, user_id: str) -> list[DeviceRow]:
        d = m.devices
        query = select(d).where(d.c.user_id == user_id).order_by(d.c.device_id)
        return [DeviceRow(**r._mapping) for r in await self._s.execute(query)]

    async def put_device(self, device: DeviceRow) -> None:
        values = {name: getattr(device, name) for name in DeviceRow.__dataclass_fields__}
        await self.upsert(m.devices, values, key=["user_id", "device_id"])

    async def forget_prekeys(self, user_id: str, device_id: str) -> None:
        p = m.prekeys
        await self._s.execute(delete(p).where(p.c.user_id == user_id, p.c.device_id == device_id))

    async def add_prekeys(self, user_id: str, device_id: str, keys: list[tuple[int, str]]) -> None:
        """New one-time prekeys; one with an id already stored keeps the stored key."""
        for key_id, public_key in keys:
            await self.insert_new(
                m.prekeys,
                {
                    "user_id": user_id,
                    "device_id": device_id,
                    "key_id": key_id,
                    "public_key": public_key,
                },
            )

    async def take_prekey(self, user_id: str, device_id: str) -> tuple[int, str] | None:
        """One one-time prekey, removed as it is handed out: never given to two people (the
        row is deleted in this transaction; a concurrent taker gets another one or none)."""
        p = m.prekeys
        while True:
            query = (
                select(p.c.key_id, p.c.public_key)
                .where(p.c.user_id == user_id, p.c.device_id == device_id)
                .order_by(p.c.key_id)
                .limit(1)
            )
            if self.is_postgres:
                query = query.with_for_update(skip_locked=True)
            row = (await self._s.execute(query)).first()
            if row is None:
                return None
            taken = await self.rowcount(
                delete(p).where(
                    p.c.user_id == user_id, p.c.device_id == device_id, p.c.key_id == row.key_id
                )
            )
            if taken:
                return int(row.key_id), str(row.public_key)

    async def prekey_counts(self, user_id: str) -> dict[str, int]:
        p = m.prekeys
        query = (
            select(p.c.device_id, func.count())
            .where(p.c.user_id == user_id)
            .group_by(p.c.device_id)
        )
        return {device_id: int(n) for device_id, n in await self._s.execute(query)}

    async def remove_device(self, user_id: str, device_id: str) -> bool:
        d = m.devices
        await self.forget_prekeys(user_id, device_id)
        return bool(
            await self.rowcount(delete(d).where(d.c.user_id == user_id, d.c.device_id == device_id))
        )

    async def erase_user(self, user_id: str) -> None:
        await self._s.execute(delete(m.prekeys).where(m.prekeys.c.user_id == user_id))
        await self._s.execute(delete(m.devices).where(m.devices.c.user_id == user_id))

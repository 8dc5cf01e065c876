"""The rules of privacy zones and blocks. A zone's place travels sealed (users.privacy_zone.*);
a block is absolute from the moment it commits (users.block.*)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from disco.contracts.events.users import (
    BlockAdded,
    BlockRemoved,
    PrivacyZoneAdded,
    PrivacyZoneArea,
    PrivacyZoneRemoved,
)
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import Conflict, NotFound, ValidationFailed
from disco.users.access import NO_PROFILE, own_profile
from disco.users.privacy.repository import PrivacyRepository, ZoneRow
from disco.users.privacy.schemas import Block, Zone, ZoneIn
from disco.users.repository import UsersRepository
from disco.users.schemas import exported

__all__ = ["MAX_ZONES", "PrivacyService"]

MAX_ZONES = 10


class PrivacyService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._clock = ctx.clock
        self._cipher = ctx.cipher

    # --- privacy zones --------------------------------------------------------------------------
    def _zone(self, zone: ZoneRow) -> Zone:
        return Zone.of(zone, self._cipher.decrypt_json(zone.sealed))

    async def zones(self, uow: UnitOfWork, user_id: str) -> list[Zone]:
        await own_profile(uow, user_id)
        rows = await PrivacyRepository(uow).zones(user_id, self._clock.now())
        return [self._zone(z) for z in rows]

    async def add_zone(self, uow: UnitOfWork, user_id: str, body: ZoneIn) -> Zone:
        await own_profile(uow, user_id)
        repo = PrivacyRepository(uow)
        now = self._clock.now()
        if body.expires_at is not None and body.expires_at <= now:
            raise ValidationFailed("A temporary zone must end in the future.")
        await repo.delete_expired_zones(user_id, now)
        if len(await repo.zones(user_id, now)) >= MAX_ZONES:
            raise Conflict(f"At most {MAX_ZONES} privacy zones; remove one first.")
        zone_id = new_id()
        await repo.add_zone(
            id=zone_id,
            user_id=user_id,
            sealed=self._cipher.encrypt_json(
                {"name": body.name, "latitude": body.latitude, "longitude": body.longitude}
            ),
            radius_meters=body.radius_meters,
            expires_at=body.expires_at,
            created_at=now,
        )
        area = PrivacyZoneArea(
            latitude=body.latitude, longitude=body.longitude, radius_meters=body.radius_meters
        )
        await uow.publish(
            PrivacyZoneAdded(
                user_id=user_id,
                zone_id=zone_id,
                sealed_area=PrivacyZoneAdded.seal(self._cipher, area),
                expires_at=body.expires_at,
            )
        )
        zone = next(z for z in await repo.zones(user_id, now) if z.id == zone_id)
        return self._zone(zone)

    async def delete_zone(self, uow: UnitOfWork, user_id: str, zone_id: str) -> None:
        if not await PrivacyRepository(uow).delete_zone(user_id, zone_id):
            raise NotFound("No such privacy zone.")
        await uow.publish(PrivacyZoneRemoved(user_id=user_id, zone_id=zone_id))

    # --- blocks ---------------------------------------------------------------------------------
    async def blocks(self, uow: UnitOfWork, user_id: str) -> list[Block]:
        await own_profile(uow, user_id)
        users = UsersRepository(uow)
        blocks = []
        for row in await PrivacyRepository(uow).blocks(user_id, self._clock.now()):
            # The blocker knew whom they blocked: their list names them (first name only).
            blocked = await users.profile(row.blocked_id)
            blocks.append(Block.of(row, blocked.first_name if blocked else None))
        return blocks

    async def block(
        self, uow: UnitOfWork, user_id: str, blocked_id: str, until: datetime | None
    ) -> Block:
        await own_profile(uow, user_id)
        now = self._clock.now()
        if blocked_id == user_id:
            raise ValidationFailed("You cannot block yourself.")
        if until is not None and until <= now:
            raise ValidationFailed("A temporary block must end in the future.")
        # A deactivated account can be blocked: it may come back.
        blocked = await UsersRepository(uow).profile(blocked_id)
        if blocked is None:
            raise NotFound(NO_PROFILE)
        repo = PrivacyRepository(uow)
        await repo.put_block(user_id, blocked_id, until, now)
        version = await repo.next_block_version(user_id, blocked_id)
        await uow.publish(
            BlockAdded(user_id=user_id, blocked_user_id=blocked_id, until=until, version=version)
        )
        block = next(b for b in await repo.blocks(user_id, now) if b.blocked_id == blocked_id)
        return Block.of(block, blocked.first_name)

    async def unblock(self, uow: UnitOfWork, user_id: str, blocked_id: str) -> None:
        repo = PrivacyRepository(uow)
        if not await repo.delete_block(user_id, blocked_id, self._clock.now()):
            raise NotFound("No such block.")
        version = await repo.next_block_version(user_id, blocked_id)
        await uow.publish(
            BlockRemoved(user_id=user_id, blocked_user_id=blocked_id, version=version)
        )

    # --- the user's data ------------------------------------------------------------------------
    async def export(self, uow: UnitOfWork, user_id: str) -> dict[str, Any]:
        return {
            "privacyZones": [exported(z) for z in await self.zones(uow, user_id)],
            "blocks": [exported(b) for b in await self.blocks(uow, user_id)],
        }

"""The projection of ``users.*`` events that matching reads: rows in the match service's own
tables, the cached members dropped in every process once a change commits, and presence left
when a change hides the user (a privacy zone, a deactivation, a deletion).
"""

from __future__ import annotations

from datetime import datetime

from disco.contracts.events.match import CandidateChanged
from disco.contracts.events.users import (
    BlockAdded,
    BlockRemoved,
    PreferencesUpdated,
    PrivacyZoneAdded,
    PrivacyZoneRemoved,
    ProfileUpdated,
)
from disco.match.discovery.members import MemberCache
from disco.match.discovery.repository import DiscoveryTables, PreferencesRow, ProfileRow
from disco.match.presence import Presence
from disco.platform.clock import Clock
from disco.platform.db import UnitOfWork

__all__ = ["UsersProjection"]


class UsersProjection:
    def __init__(
        self, tables: DiscoveryTables, members: MemberCache, presence: Presence, clock: Clock
    ) -> None:
        self._tables = tables
        self._members = members
        self._presence = presence
        self._clock = clock

    async def apply_profile(self, uow: UnitOfWork, event: ProfileUpdated, as_of: datetime) -> None:
        profile = ProfileRow(
            first_name=event.first_name,
            interests=list(event.interests),
            activities=list(event.activities),
            mode=event.mode,
            birth_date=event.birth_date,
        )
        await self._tables.put_profile(uow, event.user_id, profile, as_of)
        await self.changed(uow, event.user_id)

    async def apply_preferences(
        self, uow: UnitOfWork, event: PreferencesUpdated, as_of: datetime
    ) -> None:
        prefs = PreferencesRow(
            radius_meters=event.discovery_radius_meters,
            time_windows=[w.model_dump() for w in event.time_windows],
            age_min=event.age_range.min if event.age_range else None,
            age_max=event.age_range.max if event.age_range else None,
            professional_only=event.professional_only,
        )
        await self._tables.put_preferences(uow, event.user_id, prefs, as_of)
        await self.changed(uow, event.user_id)

    async def apply_zone_added(self, uow: UnitOfWork, event: PrivacyZoneAdded) -> None:
        if not await self._tables.add_zone(
            uow, event.user_id, event.zone_id, event.sealed_area, event.expires_at
        ):
            return  # removed already: this "added" came late
        # Out of presence until the next fix, which is checked against the new zone: someone
        # who adds a zone where they stand must not be announced from their last fix.
        await self.changed(uow, event.user_id, leaves_presence=True)

    async def apply_zone_removed(self, uow: UnitOfWork, event: PrivacyZoneRemoved) -> None:
        await self._tables.remove_zone(uow, event.user_id, event.zone_id)
        await self.changed(uow, event.user_id)

    async def apply_block_added(self, uow: UnitOfWork, event: BlockAdded) -> None:
        if not await self._tables.claim_block_version(
            uow, event.user_id, event.blocked_user_id, event.version
        ):
            return
        await self._tables.add_block(uow, event.user_id, event.blocked_user_id, event.until)
        await self.changed(uow, event.user_id)  # both cached members carry the block
        await self.changed(uow, event.blocked_user_id)

    async def apply_block_removed(self, uow: UnitOfWork, event: BlockRemoved) -> None:
        if not await self._tables.claim_block_version(
            uow, event.user_id, event.blocked_user_id, event.version
        ):
            return
        await self._tables.remove_block(uow, event.user_id, event.blocked_user_id)
        await self.changed(uow, event.user_id)
        await self.changed(uow, event.blocked_user_id)

    async def apply_deactivated(self, uow: UnitOfWork, user_id: str, since: datetime) -> None:
        await self._tables.set_deactivated(uow, user_id, since)
        await self.changed(uow, user_id, leaves_presence=True)

    async def apply_reactivated(self, uow: UnitOfWork, user_id: str) -> None:
        await self._tables.clear_deactivated(uow, user_id)
        await self.changed(uow, user_id)

    async def apply_deleted(self, uow: UnitOfWork, user_id: str) -> None:
        await self._tables.erase(uow, user_id)
        await self.changed(uow, user_id, forget=True)

    async def changed(
        self,
        uow: UnitOfWork,
        user_id: str,
        *,
        leaves_presence: bool = False,
        forget: bool = False,
    ) -> None:
        """Tell every match process to drop its copy, once the change is committed; this one
        drops it at once (its next request must not wait for the bus). ``leaves_presence``
        takes the user out of presence then (their last fix is still remembered, for the speed
        check); ``forget`` forgets that too (the account is gone)."""
        await uow.publish(CandidateChanged(user_id=user_id))

        async def committed() -> None:
            self._members.drop(user_id)
            if forget:
                await self._presence.forget(user_id, self._clock.timestamp())
            elif leaves_presence:
                await self._presence.remove(user_id, self._clock.timestamp())

        uow.after_commit(committed)

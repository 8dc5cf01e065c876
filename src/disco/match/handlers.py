"""What the match service does with the events it consumes: ``on_<event>(uow, event)``, routed
once each through the inbox by the service host (``platform/bus/routing.py``).

- the ``users.*`` events build the projection that matching reads;
- ``on_candidate_changed`` is a broadcast, so every match process drops its cached copy of a
  user once a change is committed (no table, no inbox).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from disco.contracts.events.match import CandidateChanged
from disco.contracts.events.users import (
    BlockAdded,
    BlockRemoved,
    PreferencesUpdated,
    PrivacyZoneAdded,
    PrivacyZoneRemoved,
    ProfileUpdated,
    UserDeactivated,
    UserDeleted,
    UserReactivated,
)
from disco.match.connections.service import erase_user_connections
from disco.match.discovery.service import DiscoveryService
from disco.match.local_events.service import erase_user_local_events
from disco.platform.db import UnitOfWork

__all__ = ["MatchHandlers"]


class MatchHandlers:
    def __init__(self, discovery: DiscoveryService) -> None:
        self._discovery = discovery
        self._projection = discovery.projection

    def table(self) -> dict[Any, Any]:
        return {
            ProfileUpdated: self.on_profile_updated,
            PreferencesUpdated: self.on_preferences_updated,
            PrivacyZoneAdded: self.on_privacy_zone_added,
            PrivacyZoneRemoved: self.on_privacy_zone_removed,
            BlockAdded: self.on_block_added,
            BlockRemoved: self.on_block_removed,
            UserDeactivated: self.on_user_deactivated,
            UserReactivated: self.on_user_reactivated,
            UserDeleted: self.on_user_deleted,
        }

    def broadcasts(self) -> dict[Any, Any]:
        return {CandidateChanged: self.on_candidate_changed}

    async def on_profile_updated(self, uow: UnitOfWork, event: ProfileUpdated) -> None:
        await self._projection.apply_profile(uow, event, _happened(uow))
        self._reconsider_after_commit(uow, event.user_id)

    async def on_preferences_updated(self, uow: UnitOfWork, event: PreferencesUpdated) -> None:
        await self._projection.apply_preferences(uow, event, _happened(uow))
        self._reconsider_after_commit(uow, event.user_id)

    async def on_privacy_zone_added(self, uow: UnitOfWork, event: PrivacyZoneAdded) -> None:
        await self._projection.apply_zone_added(uow, event)

    async def on_privacy_zone_removed(self, uow: UnitOfWork, event: PrivacyZoneRemoved) -> None:
        await self._projection.apply_zone_removed(uow, event)

    async def on_block_added(self, uow: UnitOfWork, event: BlockAdded) -> None:
        await self._projection.apply_block_added(uow, event)

    async def on_block_removed(self, uow: UnitOfWork, event: BlockRemoved) -> None:
        await self._projection.apply_block_removed(uow, event)

    async def on_user_deactivated(self, uow: UnitOfWork, event: UserDeactivated) -> None:
        await self._projection.apply_deactivated(uow, event.user_id, _happened(uow))

    async def on_user_reactivated(self, uow: UnitOfWork, event: UserReactivated) -> None:
        await self._projection.apply_reactivated(uow, event.user_id)
        self._reconsider_after_commit(uow, event.user_id)

    async def on_user_deleted(self, uow: UnitOfWork, event: UserDeleted) -> None:
        await self._projection.apply_deleted(uow, event.user_id)
        await erase_user_connections(uow, event.user_id)
        await erase_user_local_events(uow, event.user_id)

    async def on_candidate_changed(self, event: CandidateChanged) -> None:
        self._discovery.members.drop(event.user_id)

    def _reconsider_after_commit(self, uow: UnitOfWork, user_id: str) -> None:
        """After a change that may make the user fit someone already in range: once committed,
        such a pair is told without waiting to part and meet again."""

        async def reconsider() -> None:
            await self._discovery.reconsider(user_id)

        uow.after_commit(reconsider)


def _happened(uow: UnitOfWork) -> datetime:
    """When the event being applied happened (the inbox sets it), so an older one loses."""
    if uow.event_time is None:
        raise RuntimeError(f"{uow.name} applies an event outside the inbox")
    return uow.event_time

"""What the chat service does with the events it consumes: ``on_<event>(uow, event)``, routed
once each through the inbox by the service host; presence, which changes no table, without."""

from __future__ import annotations

from typing import Any

from disco.chat.service import ChatService
from disco.contracts.events.gateway import PresenceChanged, PresenceRenewed
from disco.contracts.events.match import MatchCreated, MatchEnded
from disco.contracts.events.users import BlockAdded, ProfileUpdated, UserDeleted
from disco.platform.db import Database, UnitOfWork

__all__ = ["ChatHandlers"]


class ChatHandlers:
    def __init__(self, service: ChatService, db: Database) -> None:
        self._service = service
        self._db = db

    def table(self) -> dict[Any, Any]:
        return {
            MatchCreated: self.on_match_created,
            MatchEnded: self.on_match_ended,
            BlockAdded: self.on_block_added,
            UserDeleted: self.on_user_deleted,
            ProfileUpdated: self.on_profile_updated,
        }

    def presence_table(self) -> dict[Any, Any]:
        return {
            PresenceChanged: self.on_presence_changed,
            PresenceRenewed: self.on_presence_renewed,
        }

    async def on_match_created(self, uow: UnitOfWork, event: MatchCreated) -> None:
        await self._service.open_room(uow, event.match_id, event.user_ids, event.first_names)

    async def on_match_ended(self, uow: UnitOfWork, event: MatchEnded) -> None:
        await self._service.match_ended(uow, event.match_id)

    async def on_block_added(self, uow: UnitOfWork, event: BlockAdded) -> None:
        await self._service.blocked(uow, event.user_id, event.blocked_user_id)

    async def on_user_deleted(self, uow: UnitOfWork, event: UserDeleted) -> None:
        await self._service.erase_user(uow, event.user_id)

    async def on_profile_updated(self, uow: UnitOfWork, event: ProfileUpdated) -> None:
        await self._service.put_first_name(uow, event.user_id, event.first_name)

    async def on_presence_changed(self, event: PresenceChanged) -> None:
        async with self._db.unit_of_work("chat.presence_changed") as uow:
            await self._service.presence_changed(uow, event.user_id, event.online, event.at)

    async def on_presence_renewed(self, event: PresenceRenewed) -> None:
        await self._service.presence_renewed(event.user_ids)

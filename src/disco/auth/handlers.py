"""What the auth service does with the events it consumes: ``on_<event>(uow, event)``, routed
once each through the inbox by the service host.

Two tables, each its own consumer group as before the service host: ``auth`` and
``auth.moderation``, so a deploy leaves the broker's queues and bindings as they were and no
event waiting in one is stranded. Both handlers are idempotent by the state they leave (an
erased account stays erased; an account already disabled as an action says is left alone), so
an event applied once more (the inbox rows were named ``auth.on_user_deleted`` and
``auth.on_moderation_action`` before) changes nothing.
"""

from __future__ import annotations

from typing import Any

from disco.auth.accounts.service import AccountsService
from disco.auth.moderation.service import ModerationService
from disco.contracts.events.safety import ModerationActionTaken
from disco.contracts.events.users import UserDeleted
from disco.platform.db import UnitOfWork

__all__ = ["AuthHandlers"]


class AuthHandlers:
    def __init__(self, accounts: AccountsService, moderation: ModerationService) -> None:
        self._accounts = accounts
        self._moderation = moderation

    def table(self) -> dict[Any, Any]:
        return {UserDeleted: self.on_user_deleted}

    def moderation_table(self) -> dict[Any, Any]:
        return {ModerationActionTaken: self.on_moderation_action_taken}

    async def on_user_deleted(self, uow: UnitOfWork, event: UserDeleted) -> None:
        await self._accounts.erase_user(uow, event.user_id)

    async def on_moderation_action_taken(
        self, uow: UnitOfWork, event: ModerationActionTaken
    ) -> None:
        await self._moderation.moderation_action(uow, event)

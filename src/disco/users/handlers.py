"""What the users service does with the events it consumes: ``on_<event>(uow, event)``, routed
once each through the inbox by the service host."""

from __future__ import annotations

from typing import Any

from disco.contracts.events.auth import UserRegistered
from disco.platform.db import UnitOfWork
from disco.users.service import UsersService

__all__ = ["UsersHandlers"]


class UsersHandlers:
    def __init__(self, users: UsersService) -> None:
        self._users = users

    def table(self) -> dict[Any, Any]:
        return {UserRegistered: self.on_user_registered}

    async def on_user_registered(self, uow: UnitOfWork, event: UserRegistered) -> None:
        """Every new account gets its profile, unless auth's call after the sign-up made it."""
        await self._users.create_profile(uow, event)

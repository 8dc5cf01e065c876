"""Bus consumers of the users service, idempotent through its inbox."""

from __future__ import annotations

from disco.contracts.events.auth import UserRegistered
from disco.platform.bus import Envelope, Handler
from disco.platform.bus.inbox import idempotent
from disco.platform.db import Database, UnitOfWork
from disco.users import models
from disco.users.service import UsersService

__all__ = ["on_user_registered"]


def on_user_registered(db: Database, service: UsersService) -> Handler:
    """Every new account gets its profile."""

    async def apply(uow: UnitOfWork, envelope: Envelope) -> None:
        await service.create_profile(uow, UserRegistered.model_validate(envelope.payload))

    return idempotent(db, models.inbox, "users.on_user_registered", apply)

"""Bus consumers of the auth service, idempotent through its inbox."""

from __future__ import annotations

from disco.auth import models
from disco.auth.repository import AuthRepository
from disco.contracts.events.users import UserDeleted
from disco.platform.bus import Envelope, Handler
from disco.platform.bus.inbox import idempotent
from disco.platform.context import ServiceContext
from disco.platform.db import Database, UnitOfWork
from disco.platform.security import revoke_user_tokens

__all__ = ["on_user_deleted"]


def on_user_deleted(ctx: ServiceContext, db: Database) -> Handler:
    """A deleted account is erased here too, and its live access tokens stop working."""

    async def apply(uow: UnitOfWork, envelope: Envelope) -> None:
        user_id = UserDeleted.model_validate(envelope.payload).user_id
        await AuthRepository(uow).delete_user(user_id)
        await revoke_user_tokens(
            ctx.kv,
            user_id,
            ctx.clock.timestamp(),
            ttl=ctx.settings.access_token_ttl_seconds + 60,
        )

    return idempotent(db, models.inbox, "auth.on_user_deleted", apply)

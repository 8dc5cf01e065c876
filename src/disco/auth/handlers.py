"""Bus consumers of the auth service, idempotent through its inbox."""

from __future__ import annotations

from disco.auth import models
from disco.auth.repository import AuthRepository
from disco.auth.service import AuthService
from disco.contracts.events.safety import ModerationActionTaken
from disco.contracts.events.users import UserDeleted
from disco.platform.bus import Envelope, Handler
from disco.platform.bus.inbox import idempotent
from disco.platform.context import ServiceContext
from disco.platform.db import Database, UnitOfWork
from disco.platform.security import revoke_user_tokens

__all__ = ["on_moderation_action", "on_user_deleted"]


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


def on_moderation_action(db: Database, service: AuthService) -> Handler:
    """A moderator's suspension or ban ends the user's sessions and keeps them signed out
    (until the suspension ends); a warning is the safety service's to deliver."""

    async def apply(uow: UnitOfWork, envelope: Envelope) -> None:
        action = ModerationActionTaken.model_validate(envelope.payload)
        if action.action == "warn":
            return
        user = await AuthRepository(uow).user_by_id(action.user_id)
        if user is None:
            return  # deleted meanwhile: nothing left to sign in with
        until = action.until if action.action == "suspend" else None
        await service.disable_user(uow, action.user_id, f"moderation:{action.action}", until)

    return idempotent(db, models.inbox, "auth.on_moderation_action", apply)

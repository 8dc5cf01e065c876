"""The rules of disabling accounts (a moderator's ban or suspension, an account's deletion)
and of roles. Never commits."""

from __future__ import annotations

from datetime import datetime

from disco.auth.accounts.repository import AccountsRepository
from disco.auth.sessions.service import SessionsService
from disco.contracts.events.auth import UserDisabled
from disco.contracts.events.safety import ModerationActionTaken
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork
from disco.platform.errors import NotFound

__all__ = ["ModerationService"]


class ModerationService:
    def __init__(self, ctx: ServiceContext, sessions: SessionsService) -> None:
        self._clock = ctx.clock
        self._sessions = sessions

    async def disable_user(
        self, uow: UnitOfWork, user_id: str, reason: str, until: datetime | None = None
    ) -> None:
        """Disabling ends every session and every live access token at once; with ``until``
        (a moderator's suspension) sign-in works again from then."""
        repo = AccountsRepository(uow)
        user = await repo.user_by_id(user_id)
        if user is None:
            raise NotFound("No such user.")
        now = self._clock.now()
        await repo.update_user(user_id, disabled_at=now, disabled_until=until)
        await self._sessions.end_all_sessions(uow, user_id, reason)
        await uow.publish(UserDisabled(user_id=user_id, reason=reason))

    async def moderation_action(self, uow: UnitOfWork, action: ModerationActionTaken) -> None:
        """A moderator's suspension or ban ends the user's sessions and keeps them signed out
        (until the suspension ends); a warning is the safety service's to deliver.

        Idempotent: an action the account already carries (disabled, with the same end) changes
        nothing, so a redelivered suspension does not sign the user out again once it is over."""
        if action.action == "warn":
            return
        user = await AccountsRepository(uow).user_by_id(action.user_id)
        if user is None:
            return  # deleted meanwhile: nothing left to sign in with
        until = action.until if action.action == "suspend" else None
        if user.disabled_at is not None and user.disabled_until == until:
            return
        await self.disable_user(uow, action.user_id, f"moderation:{action.action}", until)

    async def change_role(self, uow: UnitOfWork, email: str, role: str, granted: bool) -> None:
        """Takes effect with the user's next access token (sign-in or refresh)."""
        repo = AccountsRepository(uow)
        user = await repo.user_by_email(email.lower())
        if user is None:
            raise NotFound("No account has that email address.")
        roles = set(user.roles) | {role} if granted else set(user.roles) - {role}
        await repo.update_user(user.id, roles=" ".join(sorted(roles)))

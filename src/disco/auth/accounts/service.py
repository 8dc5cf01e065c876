"""The rules of accounts: sign-up (by password or through an OpenID provider), the account
itself, its share of the data export and its erasure. Never commits; never builds HTTP."""

from __future__ import annotations

import logging
from typing import Any

from disco.auth.accounts.recovery import AccountRecovery
from disco.auth.accounts.repository import AccountsRepository, UserRow
from disco.auth.mailing import AccountMail
from disco.auth.passwords import Passwords, check_password
from disco.auth.sessions.service import Issued, SessionsService
from disco.auth.throttle import LoginThrottle
from disco.clients.users import UsersClient
from disco.contracts.events.auth import UserRegistered
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import Conflict, NotFound, Unauthorized

__all__ = ["AccountsService"]

log = logging.getLogger(__name__)


class AccountsService:
    def __init__(
        self,
        ctx: ServiceContext,
        passwords: Passwords,
        throttle: LoginThrottle,
        mail: AccountMail,
        sessions: SessionsService,
    ) -> None:
        self._clock = ctx.clock
        self._passwords = passwords
        self._sessions = sessions
        self._users = UsersClient(ctx.services)
        self.recovery = AccountRecovery(ctx, passwords, throttle, mail, sessions, me=self.me)

    async def signup(
        self, uow: UnitOfWork, email: str, password: str, first_name: str, last_name: str
    ) -> Issued:
        repo = AccountsRepository(uow)
        email = email.lower()
        password = check_password(password, context=(email.split("@")[0], first_name, last_name))
        if await repo.user_by_email(email) is not None:
            raise Conflict("An account with that email already exists.")
        user = await self.register(
            uow,
            email=email,
            password_hash=await self._passwords.hash(password),
            first_name=first_name,
            last_name=last_name,
            email_verified=False,
        )
        await self.recovery.send_verification(uow, user.id, email)
        return await self._sessions.start_session(uow, user, "password")

    async def register(
        self,
        uow: UnitOfWork,
        *,
        email: str,
        password_hash: str | None,
        first_name: str,
        last_name: str,
        email_verified: bool,
    ) -> UserRow:
        """Create the account and announce it; by password sign-up or by an OIDC provider."""
        repo = AccountsRepository(uow)
        user_id, now = new_id(), self._clock.now()
        await repo.add_user(
            id=user_id,
            email=email,
            password_hash=password_hash,
            first_name=first_name,
            last_name=last_name,
            email_verified=email_verified,
            roles="",
            totp_enabled=False,
            created_at=now,
        )
        registered = UserRegistered(
            user_id=user_id,
            email=email,
            first_name=first_name,
            last_name=last_name,
            registered_at=now,
        )
        await uow.publish(registered)
        uow.after_commit(lambda: self._make_profile(registered))
        user = await repo.user_by_id(user_id)
        assert user is not None
        return user

    async def _make_profile(self, registered: UserRegistered) -> None:
        """Read-your-writes across services: the new account's profile exists before the
        sign-up answers, so the owner's very next request (onboarding) finds it. Should users be
        unreachable, ``auth.user.registered`` makes it a little later; the sign-up stands."""
        try:
            await self._users.create_profile(registered)
        except Exception:
            log.warning(
                "profile of %s left to auth.user.registered", registered.user_id, exc_info=True
            )

    async def me(self, uow: UnitOfWork, user_id: str) -> UserRow:
        user = await AccountsRepository(uow).user_by_id(user_id)
        if user is None or user.disabled(self._clock.now()):
            raise Unauthorized("The account no longer exists.")
        return user

    async def export(self, uow: UnitOfWork, user_id: str) -> dict[str, Any]:
        """Auth's share of the user's data export (the users service assembles the whole)."""
        exported = await AccountsRepository(uow).export_user(user_id)
        if exported is None:
            raise NotFound("No such user.")
        return exported

    async def erase_user(self, uow: UnitOfWork, user_id: str) -> None:
        """A deleted account is erased here too, and its live access tokens stop working.
        Idempotent: erasing an erased account changes nothing."""
        await AccountsRepository(uow).delete_user(user_id)
        await self._sessions.revoke_tokens_of(user_id)

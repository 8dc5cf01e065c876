"""Email verification and password reset: a one-time link (its hash stored, spent on use or
when a newer one is asked for) mailed to the account's address through ``AccountMail``."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta

from disco.auth.accounts.repository import AccountsRepository, UserRow
from disco.auth.mailing import AccountMail
from disco.auth.passwords import Passwords, check_password
from disco.auth.sessions.service import SessionsService, hash_token
from disco.auth.throttle import LoginThrottle
from disco.contracts.events.auth import UserEmailVerified
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork
from disco.platform.errors import Conflict, ValidationFailed

__all__ = ["AccountRecovery"]

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"

OwnAccount = Callable[[UnitOfWork, str], Awaitable[UserRow]]


class AccountRecovery:
    def __init__(
        self,
        ctx: ServiceContext,
        passwords: Passwords,
        throttle: LoginThrottle,
        mail: AccountMail,
        sessions: SessionsService,
        *,
        me: OwnAccount,
    ) -> None:
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._mail = mail
        self._passwords = passwords
        self._throttle = throttle
        self._sessions = sessions
        self._me = me

    async def send_verification(self, uow: UnitOfWork, user_id: str, email: str) -> None:
        token = await self._one_time_token(
            AccountsRepository(uow), user_id, VERIFY_EMAIL, self._settings.email_token_ttl_seconds
        )
        link = f"{self._settings.base_url}/#/verify-email?token={token}"
        await self._mail.send(
            uow,
            user_id,
            "verify_email",
            email,
            "Confirm your email for Disco",
            f"Welcome to Disco!\n\nConfirm your email address by opening this link:\n{link}\n\n"
            f"Or paste this code into the app: {token}\n\nThe link works once, for 24 hours.",
        )

    async def resend_verification(self, uow: UnitOfWork, user_id: str) -> None:
        repo = AccountsRepository(uow)
        user = await self._me(uow, user_id)
        if user.email_verified:
            raise Conflict("The email address is already verified.")
        await repo.spend_one_time_tokens_of(user_id, VERIFY_EMAIL, self._clock.now())
        await self.send_verification(uow, user_id, user.email)

    async def verify_email(self, uow: UnitOfWork, token: str) -> None:
        repo = AccountsRepository(uow)
        user_id = await repo.consume_one_time_token(
            hash_token(token), VERIFY_EMAIL, self._clock.now()
        )
        if user_id is None:
            raise ValidationFailed("The verification link is invalid, used or expired.")
        await repo.update_user(user_id, email_verified=True)
        await uow.publish(UserEmailVerified(user_id=user_id))

    async def request_password_reset(self, uow: UnitOfWork, email: str) -> None:
        """Always looks the same to the caller, whether or not the account exists."""
        repo = AccountsRepository(uow)
        user = await repo.user_by_email(email.lower())
        if user is None or user.disabled(self._clock.now()):
            return
        await repo.spend_one_time_tokens_of(user.id, RESET_PASSWORD, self._clock.now())
        token = await self._one_time_token(
            repo, user.id, RESET_PASSWORD, self._settings.reset_token_ttl_seconds
        )
        link = f"{self._settings.base_url}/#/reset-password?token={token}"
        minutes = self._settings.reset_token_ttl_seconds // 60
        await self._mail.send(
            uow,
            user.id,
            "reset_password",
            user.email,
            "Reset your Disco password",
            f"Someone asked to reset the password of your Disco account.\n\n"
            f"If it was you, open this link within {minutes} minutes:\n{link}\n\n"
            f"Or paste this code into the app: {token}\n\nIf it was not you, ignore this mail.",
        )

    async def reset_password(
        self, uow: UnitOfWork, token: str, password: str, client_ip: str
    ) -> None:
        repo = AccountsRepository(uow)
        user_id = await repo.consume_one_time_token(
            hash_token(token), RESET_PASSWORD, self._clock.now()
        )
        user = await repo.user_by_id(user_id) if user_id else None
        if user is None or user.disabled(self._clock.now()):
            raise ValidationFailed("The reset link is invalid, used or expired.")
        # A policy failure raises, rolling back: the link stays usable for a better password.
        password = check_password(
            password, context=(user.email.split("@")[0], user.first_name, user.last_name)
        )
        # Following the link proved the address is theirs.
        await repo.update_user(
            user.id, password_hash=await self._passwords.hash(password), email_verified=True
        )
        await self._sessions.end_all_sessions(uow, user.id, "password_reset")
        # The lockout message points here: a reset unlocks the account.
        await self._throttle.reset(user.email, client_ip)
        await self._mail.send(
            uow,
            user.id,
            "password_changed",
            user.email,
            "Your Disco password was changed",
            "The password of your Disco account was just reset, and every device was signed "
            "out.\n\nIf it was not you, reset it again at once.",
        )

    async def _one_time_token(
        self, repo: AccountsRepository, user_id: str, purpose: str, ttl: int
    ) -> str:
        token = secrets.token_urlsafe(32)
        await repo.add_one_time_token(
            hash_token(token), user_id, purpose, self._clock.now() + timedelta(seconds=ttl)
        )
        return token

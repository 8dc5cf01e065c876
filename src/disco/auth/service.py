"""The auth service's rules. Never commits (the caller's unit of work does); never builds HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from disco.auth.keys import SigningKeys
from disco.auth.passwords import Passwords, check_password
from disco.auth.repository import AuthRepository, UserRow
from disco.contracts.events.auth import (
    UserDisabled,
    UserEmailVerified,
    UserLoggedIn,
    UserRegistered,
)
from disco.contracts.events.realtime import RealtimePushed
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import Conflict, NotFound, RateLimited, Unauthorized, ValidationFailed
from disco.platform.security import revoke_session, revoke_user_tokens

__all__ = ["AuthService", "Issued"]

log = logging.getLogger(__name__)

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
_BAD_LOGIN = "The email or password is incorrect."


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    """A fresh access token and refresh token for a user."""

    access_token: str
    refresh_token: str
    expires_in: int
    user: UserRow


class AuthService:
    def __init__(self, ctx: ServiceContext, keys: SigningKeys, passwords: Passwords) -> None:
        self._ctx = ctx
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._kv = ctx.kv
        self.keys = keys
        self._passwords = passwords
        self._background: set[asyncio.Task[None]] = set()

    # --- sign-up and login ----------------------------------------------------------------------
    async def signup(
        self, uow: UnitOfWork, email: str, password: str, first_name: str, last_name: str
    ) -> Issued:
        repo = AuthRepository(uow)
        email = email.lower()
        password = check_password(password, context=(email.split("@")[0], first_name, last_name))
        if await repo.user_by_email(email) is not None:
            raise Conflict("An account with that email already exists.")
        user_id = new_id()
        now = self._clock.now()
        await repo.add_user(
            id=user_id,
            email=email,
            password_hash=await self._passwords.hash(password),
            first_name=first_name,
            last_name=last_name,
            email_verified=False,
            roles="",
            totp_enabled=False,
            created_at=now,
        )
        await uow.publish(
            UserRegistered(
                user_id=user_id,
                email=email,
                first_name=first_name,
                last_name=last_name,
                registered_at=now,
            )
        )
        await self._send_verification(uow, repo, user_id, email)
        user = await repo.user_by_id(user_id)
        assert user is not None
        return await self._start_session(uow, repo, user, "password")

    async def login(self, uow: UnitOfWork, email: str, password: str, client_ip: str) -> Issued:
        repo = AuthRepository(uow)
        email = email.lower()
        window = self._settings.login_failure_window_seconds
        account_key, ip_key = f"loginfail:acct:{email}", f"loginfail:ip:{client_ip}"
        account_fails, ip_fails = await self._kv.get_many([account_key, ip_key])
        if (
            int(account_fails or 0) >= self._settings.login_failures_per_account
            or int(ip_fails or 0) >= self._settings.login_failures_per_ip
        ):
            raise RateLimited(
                "Too many failed sign-in attempts. Try again later or reset your password.",
                headers={"Retry-After": str(window)},
            )
        user = await repo.user_by_email(email)
        ok = await self._passwords.verify(user.password_hash if user else None, password)
        if not ok or user is None or user.disabled_at is not None:
            await self._kv.hit(account_key, window)
            await self._kv.hit(ip_key, window)
            raise Unauthorized(_BAD_LOGIN)
        await self._kv.delete(account_key)
        if user.password_hash and self._passwords.needs_rehash(user.password_hash):
            await repo.update_user(user.id, password_hash=await self._passwords.hash(password))
        return await self._start_session(uow, repo, user, "password")

    async def _start_session(
        self, uow: UnitOfWork, repo: AuthRepository, user: UserRow, method: str
    ) -> Issued:
        session_id = new_id()
        now = self._clock.now()
        await repo.add_session(session_id, user.id, method, now)
        await uow.publish(
            UserLoggedIn(user_id=user.id, session_id=session_id, method=method, at=now)
        )
        # The user's other devices hear of every new sign-in (a security notice).
        await uow.publish(
            RealtimePushed(
                user_ids=[user.id],
                frame_type="notification",
                data={"kind": "new_sign_in", "method": method, "at": now.isoformat()},
            )
        )
        return await self._issue(repo, user, session_id)

    async def _issue(self, repo: AuthRepository, user: UserRow, session_id: str) -> Issued:
        refresh = secrets.token_urlsafe(32)
        now = self._clock.now()
        await repo.add_refresh_token(
            hash_token(refresh),
            session_id,
            now,
            now + timedelta(seconds=self._settings.refresh_token_ttl_seconds),
        )
        return Issued(
            access_token=self.keys.sign_access_token(user.id, session_id, user.roles),
            refresh_token=refresh,
            expires_in=self._settings.access_token_ttl_seconds,
            user=user,
        )

    # --- refresh and logout ---------------------------------------------------------------------
    async def refresh(self, uow: UnitOfWork, refresh_token: str) -> Issued:
        repo = AuthRepository(uow)
        token_hash = hash_token(refresh_token)
        row = await repo.refresh_token(token_hash)
        if row is None:
            raise Unauthorized("The refresh token is not valid.")
        session = await repo.session(row.session_id)
        now = self._clock.now()
        if session is None or session.revoked_at is not None:
            raise Unauthorized("The refresh token is not valid.")
        if row.used_at is not None or not await repo.use_refresh_token(token_hash, now):
            # A used token came back: it was stolen, or its thief already used it. End the family.
            await self._end_session(repo, session.id, "refresh_token_reuse")
            log.warning("refresh token reuse; session revoked", extra={"session": session.id})
            raise Unauthorized(
                "The refresh token was already used; please sign in again.", keep_changes=True
            )
        if row.expires_at <= now:
            raise Unauthorized("The refresh token has expired; please sign in again.")
        user = await repo.user_by_id(session.user_id)
        if user is None or user.disabled_at is not None:
            raise Unauthorized("The refresh token is not valid.")
        return await self._issue(repo, user, session.id)

    async def logout(self, uow: UnitOfWork, session_id: str) -> None:
        await self._end_session(AuthRepository(uow), session_id, "logout")

    async def _end_session(self, repo: AuthRepository, session_id: str, reason: str) -> None:
        await repo.revoke_session(session_id, reason, self._clock.now())
        await revoke_session(self._kv, session_id, ttl=self._settings.access_token_ttl_seconds + 60)

    async def disable_user(self, uow: UnitOfWork, user_id: str, reason: str) -> None:
        """Disabling ends every session and every live access token at once."""
        repo = AuthRepository(uow)
        user = await repo.user_by_id(user_id)
        if user is None:
            raise NotFound("No such user.")
        now = self._clock.now()
        await repo.update_user(user_id, disabled_at=now)
        await self._end_all_sessions(repo, user_id, reason)
        await uow.publish(UserDisabled(user_id=user_id, reason=reason))

    async def _end_all_sessions(self, repo: AuthRepository, user_id: str, reason: str) -> None:
        for session_id in await repo.live_sessions_of(user_id):
            await repo.revoke_session(session_id, reason, self._clock.now())
        await revoke_user_tokens(
            self._kv,
            user_id,
            self._clock.timestamp(),
            ttl=self._settings.access_token_ttl_seconds + 60,
        )

    async def me(self, uow: UnitOfWork, user_id: str) -> UserRow:
        user = await AuthRepository(uow).user_by_id(user_id)
        if user is None or user.disabled_at is not None:
            raise Unauthorized("The account no longer exists.")
        return user

    # --- email verification and password reset --------------------------------------------------
    async def _send_verification(
        self, uow: UnitOfWork, repo: AuthRepository, user_id: str, email: str
    ) -> None:
        token = await self._one_time_token(
            repo, user_id, VERIFY_EMAIL, self._settings.email_token_ttl_seconds
        )
        link = f"{self._settings.base_url}/#/verify-email?token={token}"
        self._mail_after_commit(
            uow,
            email,
            "Confirm your email for Disco",
            f"Welcome to Disco!\n\nConfirm your email address by opening this link:\n{link}\n\n"
            f"Or paste this code into the app: {token}\n\nThe link works once, for 24 hours.",
        )

    async def resend_verification(self, uow: UnitOfWork, user_id: str) -> None:
        repo = AuthRepository(uow)
        user = await self.me(uow, user_id)
        if user.email_verified:
            raise Conflict("The email address is already verified.")
        await repo.spend_one_time_tokens_of(user_id, VERIFY_EMAIL, self._clock.now())
        await self._send_verification(uow, repo, user_id, user.email)

    async def verify_email(self, uow: UnitOfWork, token: str) -> None:
        repo = AuthRepository(uow)
        user_id = await repo.consume_one_time_token(
            hash_token(token), VERIFY_EMAIL, self._clock.now()
        )
        if user_id is None:
            raise ValidationFailed("The verification link is invalid, used or expired.")
        await repo.update_user(user_id, email_verified=True)
        await uow.publish(UserEmailVerified(user_id=user_id))

    async def request_password_reset(self, uow: UnitOfWork, email: str) -> None:
        """Always looks the same to the caller, whether or not the account exists."""
        repo = AuthRepository(uow)
        user = await repo.user_by_email(email.lower())
        if user is None or user.disabled_at is not None:
            return
        await repo.spend_one_time_tokens_of(user.id, RESET_PASSWORD, self._clock.now())
        token = await self._one_time_token(
            repo, user.id, RESET_PASSWORD, self._settings.reset_token_ttl_seconds
        )
        link = f"{self._settings.base_url}/#/reset-password?token={token}"
        minutes = self._settings.reset_token_ttl_seconds // 60
        self._mail_after_commit(
            uow,
            user.email,
            "Reset your Disco password",
            f"Someone asked to reset the password of your Disco account.\n\n"
            f"If it was you, open this link within {minutes} minutes:\n{link}\n\n"
            f"Or paste this code into the app: {token}\n\nIf it was not you, ignore this mail.",
        )

    async def reset_password(self, uow: UnitOfWork, token: str, password: str) -> None:
        repo = AuthRepository(uow)
        user_id = await repo.consume_one_time_token(
            hash_token(token), RESET_PASSWORD, self._clock.now()
        )
        user = await repo.user_by_id(user_id) if user_id else None
        if user is None or user.disabled_at is not None:
            raise ValidationFailed("The reset link is invalid, used or expired.")
        # A policy failure raises, rolling back: the link stays usable for a better password.
        password = check_password(
            password, context=(user.email.split("@")[0], user.first_name, user.last_name)
        )
        # Following the link proved the address is theirs.
        await repo.update_user(
            user.id, password_hash=await self._passwords.hash(password), email_verified=True
        )
        await self._end_all_sessions(repo, user.id, "password_reset")

    async def _one_time_token(
        self, repo: AuthRepository, user_id: str, purpose: str, ttl: int
    ) -> str:
        token = secrets.token_urlsafe(32)
        await repo.add_one_time_token(
            hash_token(token), user_id, purpose, self._clock.now() + timedelta(seconds=ttl)
        )
        return token

    def _mail_after_commit(self, uow: UnitOfWork, to: str, subject: str, body: str) -> None:
        """Sent after commit and off the request path, so response times do not reveal it."""

        async def send() -> None:
            try:
                await self._ctx.mailer.send(to, subject, body)
            except Exception:
                log.exception("could not send %r mail", subject)

        async def schedule() -> None:
            self._spawn(send)

        uow.after_commit(schedule)

    def _spawn(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        task = asyncio.create_task(job())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for mail still being sent (at shutdown)."""
        await asyncio.gather(*self._background, return_exceptions=True)

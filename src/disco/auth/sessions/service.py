"""The rules of sessions: sign-in (password or vouched for, then two-factor), refresh-token
families, sign-out, and ending sessions. Never commits (the caller's unit of work does)."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from disco.auth.accounts.repository import AccountsRepository, UserRow
from disco.auth.keys import SigningKeys
from disco.auth.mfa.factor import BAD_CODE, SecondFactor
from disco.auth.passwords import Passwords
from disco.auth.sessions.repository import SessionsRepository
from disco.auth.throttle import DeviceTokens, LoginThrottle
from disco.contracts.events.auth import UserLoggedIn
from disco.contracts.events.realtime import RealtimePushed
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import RateLimited, Unauthorized
from disco.platform.security import revoke_session, revoke_user_tokens

__all__ = ["MFA_TOKEN_TTL_SECONDS", "Issued", "MfaChallenge", "SessionsService", "hash_token"]

log = logging.getLogger(__name__)

_BAD_LOGIN = "The email or password is incorrect."
# A sign-in that passed the password waits this long for its second factor.
MFA_TOKEN_TTL_SECONDS = 300


def hash_token(token: str) -> str:
    """How a bearer secret (a refresh token, a one-time link) is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def _mfa_key(mfa_token: str) -> str:
    return f"mfa:{hash_token(mfa_token)}"


@dataclass(frozen=True)
class Issued:
    """A fresh access token and refresh token for a user; after a sign-in, also a device token
    (``throttle.DeviceTokens``) that keeps this device clear of other people's failures."""

    access_token: str
    refresh_token: str
    expires_in: int
    user: UserRow
    device_token: str | None = None


@dataclass(frozen=True)
class MfaChallenge:
    """The password was right; the second factor is still to come (``verify_mfa``)."""

    mfa_token: str
    expires_in: int


class SessionsService:
    def __init__(
        self,
        ctx: ServiceContext,
        keys: SigningKeys,
        passwords: Passwords,
        throttle: LoginThrottle,
        second_factor: SecondFactor,
    ) -> None:
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._kv = ctx.kv
        self.keys = keys
        self._passwords = passwords
        self._throttle = throttle
        self._devices = DeviceTokens(ctx)
        self._second_factor = second_factor

    # --- sign-in --------------------------------------------------------------------------------
    async def login(
        self,
        uow: UnitOfWork,
        email: str,
        password: str,
        client_ip: str,
        device_token: str | None = None,
    ) -> Issued | MfaChallenge:
        accounts = AccountsRepository(uow)
        email = email.lower()
        device = self._devices.device_of(device_token, email)
        async with await self._throttle.password(email, client_ip, device) as attempt:
            user = await accounts.user_by_email(email)
            ok = await self._passwords.verify(user.password_hash if user else None, password)
            if not ok or user is None or user.disabled(self._clock.now()):
                await attempt.failed()
                raise Unauthorized(_BAD_LOGIN)
            await attempt.succeeded()
        if user.password_hash and self._passwords.needs_rehash(user.password_hash):
            await accounts.update_user(user.id, password_hash=await self._passwords.hash(password))
        if user.totp_enabled:
            return await self._challenge(user, "password")
        return await self.start_session(uow, user, "password")

    async def sign_in_vouched(
        self, uow: UnitOfWork, user: UserRow, method: str
    ) -> Issued | MfaChallenge:
        """Sign in a user another party (an OpenID provider) vouched for, instead of a password.
        Two-factor still applies: the second step is ``verify_mfa``, as after a password."""
        if user.totp_enabled:
            return await self._challenge(user, method)
        return await self.start_session(uow, user, method)

    async def _challenge(self, user: UserRow, first_factor: str) -> MfaChallenge:
        token = secrets.token_urlsafe(32)
        pending = {
            "user": user.id,
            "email": user.email,
            "method": first_factor,
            "expires": self._clock.timestamp() + MFA_TOKEN_TTL_SECONDS,
        }
        await self._kv.set(
            _mfa_key(token), json.dumps(pending), ttl=MFA_TOKEN_TTL_SECONDS, only_new=True
        )
        return MfaChallenge(mfa_token=token, expires_in=MFA_TOKEN_TTL_SECONDS)

    async def verify_mfa(self, uow: UnitOfWork, mfa_token: str, code: str) -> Issued:
        """The second step of a sign-in with two-factor on: the token from ``login`` and a code."""
        key = _mfa_key(mfa_token)
        raw = await self._kv.take(key)  # single use, even under concurrent attempts
        if raw is None:
            raise Unauthorized("The sign-in has expired or was already completed; sign in again.")
        pending = json.loads(raw)

        async def give_back() -> None:
            # A mistyped code may be retried with the same token while it lives; the throttle
            # bounds how often.
            remaining = pending["expires"] - self._clock.timestamp()
            if remaining > 0:
                await self._kv.set(key, raw, ttl=remaining, only_new=True)

        try:
            attempt = await self._throttle.code(pending["email"])
        except RateLimited:
            await give_back()
            raise
        async with attempt:
            user = await AccountsRepository(uow).user_by_id(pending["user"])
            if user is None or user.disabled(self._clock.now()) or not user.totp_enabled:
                raise Unauthorized("The sign-in is no longer valid; sign in again.")
            factor = await self._second_factor.spend(uow, user, code)
            if factor is None:
                await attempt.failed()
                await give_back()
                raise Unauthorized(BAD_CODE)
            await attempt.succeeded()
        return await self.start_session(uow, user, f"{pending['method']}+{factor}"[:60])

    async def start_session(self, uow: UnitOfWork, user: UserRow, method: str) -> Issued:
        """A new session (refresh family) for a user who has just proved who they are."""
        repo = SessionsRepository(uow)
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
        issued = await self._issue(repo, user, session_id, now)
        return replace(issued, device_token=self._devices.issue(user.email))

    async def _issue(
        self, repo: SessionsRepository, user: UserRow, session_id: str, signed_in_at: datetime
    ) -> Issued:
        refresh = secrets.token_urlsafe(32)
        now = self._clock.now()
        # Idle for refresh_token_ttl, or older than session_max_age: either way, sign in again.
        expires_at = min(
            now + timedelta(seconds=self._settings.refresh_token_ttl_seconds),
            signed_in_at + timedelta(seconds=self._settings.session_max_age_seconds),
        )
        await repo.add_refresh_token(hash_token(refresh), session_id, now, expires_at)
        return Issued(
            access_token=self.keys.sign_access_token(user.id, session_id, user.roles),
            refresh_token=refresh,
            expires_in=self._settings.access_token_ttl_seconds,
            user=user,
        )

    # --- refresh and sign-out -------------------------------------------------------------------
    async def refresh(self, uow: UnitOfWork, refresh_token: str) -> Issued:
        repo = SessionsRepository(uow)
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
        user = await AccountsRepository(uow).user_by_id(session.user_id)
        if user is None or user.disabled(self._clock.now()):
            raise Unauthorized("The refresh token is not valid.")
        return await self._issue(repo, user, session.id, session.created_at)

    async def logout(self, uow: UnitOfWork, session_id: str) -> None:
        await self._end_session(SessionsRepository(uow), session_id, "logout")

    async def signed_in_since(self, uow: UnitOfWork, session_id: str, since: datetime) -> bool:
        """Whether the session exists and began at ``since`` or later (a recent sign-in)."""
        session = await SessionsRepository(uow).session(session_id)
        return session is not None and session.created_at >= since

    async def end_all_sessions(self, uow: UnitOfWork, user_id: str, reason: str) -> None:
        """Every session of the user, and every access token issued to them until now."""
        repo = SessionsRepository(uow)
        for session_id in await repo.live_sessions_of(user_id):
            await repo.revoke_session(session_id, reason, self._clock.now())
        await self.revoke_tokens_of(user_id)

    async def end_other_sessions(
        self, uow: UnitOfWork, user_id: str, keep: str, reason: str
    ) -> None:
        repo = SessionsRepository(uow)
        for session_id in await repo.live_sessions_of(user_id):
            if session_id != keep:
                await self._end_session(repo, session_id, reason)

    async def revoke_tokens_of(self, user_id: str) -> None:
        """Every access token of the user issued until now is refused from now on."""
        await revoke_user_tokens(
            self._kv,
            user_id,
            self._clock.timestamp(),
            ttl=self._settings.access_token_ttl_seconds + 60,
        )

    async def _end_session(self, repo: SessionsRepository, session_id: str, reason: str) -> None:
        await repo.revoke_session(session_id, reason, self._clock.now())
        await revoke_session(self._kv, session_id, ttl=self._settings.access_token_ttl_seconds + 60)

"""The auth service's rules. Never commits (the caller's unit of work does); never builds HTTP."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from disco.auth import mfa
from disco.auth.keys import SigningKeys
from disco.auth.mailing import AccountMail
from disco.auth.passwords import Passwords, check_password
from disco.auth.recovery import AccountRecovery, hash_token
from disco.auth.repository import AuthRepository, UserRow
from disco.auth.throttle import DeviceTokens, LoginThrottle
from disco.clients.users import UsersClient
from disco.contracts.events.auth import (
    UserDisabled,
    UserLoggedIn,
    UserRegistered,
)
from disco.contracts.events.realtime import RealtimePushed
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import (
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from disco.platform.security import revoke_session, revoke_user_tokens

__all__ = ["AuthService", "Issued", "MfaChallenge", "TotpSetup"]

log = logging.getLogger(__name__)

_BAD_LOGIN = "The email or password is incorrect."
_BAD_CODE = "The code is not valid; use the current one from your app, or a recovery code."
# A sign-in that passed the password waits this long for its second factor.
MFA_TOKEN_TTL_SECONDS = 300
# Changing two-factor settings needs a sign-in this recent (ASVS 5.0 §7.5.1: re-authenticate).
RECENT_SIGN_IN = timedelta(minutes=15)


Factor = Literal["password", "code"]


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


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    otpauth_uri: str


class AuthService:
    def __init__(self, ctx: ServiceContext, keys: SigningKeys, passwords: Passwords) -> None:
        self._ctx = ctx
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._kv = ctx.kv
        self.keys = keys
        self._passwords = passwords
        self._throttle = LoginThrottle(ctx)
        self._devices = DeviceTokens(ctx)
        self._mail = AccountMail(ctx.cipher)
        self._users = UsersClient(ctx.services)
        self.recovery = AccountRecovery(
            ctx,
            passwords,
            self._throttle,
            self._mail,
            me=self.me,
            end_all_sessions=self._end_all_sessions,
        )

    # --- sign-up and login ----------------------------------------------------------------------
    async def signup(
        self, uow: UnitOfWork, email: str, password: str, first_name: str, last_name: str
    ) -> Issued:
        repo = AuthRepository(uow)
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
        await self.recovery.send_verification(uow, repo, user.id, email)
        return await self.start_session(uow, user, "password")

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
        repo = AuthRepository(uow)
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

    async def login(
        self,
        uow: UnitOfWork,
        email: str,
        password: str,
        client_ip: str,
        device_token: str | None = None,
    ) -> Issued | MfaChallenge:
        repo = AuthRepository(uow)
        email = email.lower()
        device = self._devices.device_of(device_token, email)
        async with await self._throttle.password(email, client_ip, device) as attempt:
            user = await repo.user_by_email(email)
            ok = await self._passwords.verify(user.password_hash if user else None, password)
            if not ok or user is None or user.disabled(self._clock.now()):
                await attempt.failed()
                raise Unauthorized(_BAD_LOGIN)
            await attempt.succeeded()
        if user.password_hash and self._passwords.needs_rehash(user.password_hash):
            await repo.update_user(user.id, password_hash=await self._passwords.hash(password))
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
        repo = AuthRepository(uow)
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
            user = await repo.user_by_id(pending["user"])
            if user is None or user.disabled(self._clock.now()) or not user.totp_enabled:
                raise Unauthorized("The sign-in is no longer valid; sign in again.")
            factor = await self._second_factor(repo, user, code)
            if factor is None:
                await attempt.failed()
                await give_back()
                raise Unauthorized(_BAD_CODE)
            await attempt.succeeded()
        return await self.start_session(uow, user, f"{pending['method']}+{factor}"[:60])

    async def _second_factor(self, repo: AuthRepository, user: UserRow, code: str) -> str | None:
        """Spend ``code`` (a TOTP code or a recovery code); its kind, or None if it is no good."""
        if user.totp_secret is None:
            return None
        if mfa.is_totp_code(code):
            secret = self._ctx.cipher.decrypt(user.totp_secret)
            step = mfa.matching_step(secret, code, self._clock.now())
            if step is not None and await repo.claim_totp_step(user.id, step):
                return "totp"
            return None
        if await repo.use_recovery_code(user.id, mfa.recovery_code_hash(code), self._clock.now()):
            return "recovery_code"
        return None

    async def start_session(self, uow: UnitOfWork, user: UserRow, method: str) -> Issued:
        """A new session (refresh family) for a user who has just proved who they are."""
        repo = AuthRepository(uow)
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
        self, repo: AuthRepository, user: UserRow, session_id: str, signed_in_at: datetime
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
        if user is None or user.disabled(self._clock.now()):
            raise Unauthorized("The refresh token is not valid.")
        return await self._issue(repo, user, session.id, session.created_at)

    async def logout(self, uow: UnitOfWork, session_id: str) -> None:
        await self._end_session(AuthRepository(uow), session_id, "logout")

    async def _end_session(self, repo: AuthRepository, session_id: str, reason: str) -> None:
        await repo.revoke_session(session_id, reason, self._clock.now())
        await revoke_session(self._kv, session_id, ttl=self._settings.access_token_ttl_seconds + 60)

    async def disable_user(
        self, uow: UnitOfWork, user_id: str, reason: str, until: datetime | None = None
    ) -> None:
        """Disabling ends every session and every live access token at once; with ``until``
        (a moderator's suspension) sign-in works again from then."""
        repo = AuthRepository(uow)
        user = await repo.user_by_id(user_id)
        if user is None:
            raise NotFound("No such user.")
        now = self._clock.now()
        await repo.update_user(user_id, disabled_at=now, disabled_until=until)
        await self._end_all_sessions(repo, user_id, reason)
        await uow.publish(UserDisabled(user_id=user_id, reason=reason))

    async def change_role(self, uow: UnitOfWork, email: str, role: str, granted: bool) -> None:
        """Takes effect with the user's next access token (sign-in or refresh)."""
        repo = AuthRepository(uow)
        user = await repo.user_by_email(email.lower())
        if user is None:
            raise NotFound("No account has that email address.")
        roles = set(user.roles) | {role} if granted else set(user.roles) - {role}
        await repo.update_user(user.id, roles=" ".join(sorted(roles)))

    async def _end_all_sessions(self, repo: AuthRepository, user_id: str, reason: str) -> None:
        for session_id in await repo.live_sessions_of(user_id):
            await repo.revoke_session(session_id, reason, self._clock.now())
        await revoke_user_tokens(
            self._kv,
            user_id,
            self._clock.timestamp(),
            ttl=self._settings.access_token_ttl_seconds + 60,
        )

    async def _end_other_sessions(
        self, repo: AuthRepository, user_id: str, keep: str, reason: str
    ) -> None:
        for session_id in await repo.live_sessions_of(user_id):
            if session_id != keep:
                await self._end_session(repo, session_id, reason)

    # --- two-factor settings --------------------------------------------------------------------
    async def setup_two_factor(self, uow: UnitOfWork, user_id: str) -> TotpSetup:
        """A new TOTP secret, kept (encrypted) but not in force until ``enable_two_factor``."""
        repo = AuthRepository(uow)
        user = await self.me(uow, user_id)
        if user.totp_enabled:
            raise Conflict("Two-factor sign-in is already on; turn it off first to change it.")
        secret = mfa.new_totp_secret()
        await repo.update_user(
            user_id, totp_secret=self._ctx.cipher.encrypt(secret), totp_last_step=None
        )
        return TotpSetup(secret=secret, otpauth_uri=mfa.otpauth_uri(secret, user.email))

    async def enable_two_factor(
        self, uow: UnitOfWork, user_id: str, session_id: str, code: str
    ) -> list[str]:
        """Turn two-factor on with a code from the new secret; returns the recovery codes, which
        are shown this once and stored only hashed."""
        repo = AuthRepository(uow)
        user = await self.me(uow, user_id)
        if user.totp_enabled:
            raise Conflict("Two-factor sign-in is already on.")
        if user.totp_secret is None:
            raise Conflict("Set two-factor sign-in up first.")
        await self._require_recent_sign_in(repo, session_id)
        async with await self._throttle.code(user.email) as attempt:
            if not mfa.is_totp_code(code) or await self._second_factor(repo, user, code) is None:
                await attempt.failed()
                raise ValidationFailed(
                    "The code is not valid; enter the current one from your app.",
                    details=[{"field": "code", "message": "wrong code"}],
                )
            await attempt.succeeded()
        codes = mfa.new_recovery_codes()
        await repo.replace_recovery_codes(user_id, [mfa.recovery_code_hash(c) for c in codes])
        await repo.update_user(user_id, totp_enabled=True)
        # Sessions signed in with the password alone are below the account's new bar.
        await self._end_other_sessions(repo, user_id, session_id, "two_factor_enabled")
        await self._mail.send(
            uow,
            user_id,
            "two_factor_on",
            user.email,
            "Two-factor sign-in is on for your Disco account",
            "Two-factor sign-in was turned on for your Disco account; other devices were signed "
            "out.\n\nIf it was not you, reset your password at once.",
        )
        return codes

    async def disable_two_factor(
        self, uow: UnitOfWork, user_id: str, session_id: str, code: str
    ) -> None:
        repo = AuthRepository(uow)
        user = await self.me(uow, user_id)
        if not user.totp_enabled:
            raise Conflict("Two-factor sign-in is already off.")
        await self._require_recent_sign_in(repo, session_id)
        async with await self._throttle.code(user.email) as attempt:
            if await self._second_factor(repo, user, code) is None:
                await attempt.failed()
                raise ValidationFailed(
                    _BAD_CODE, details=[{"field": "code", "message": "wrong code"}]
                )
            await attempt.succeeded()
        await repo.update_user(user_id, totp_enabled=False, totp_secret=None, totp_last_step=None)
        await repo.delete_recovery_codes(user_id)
        await self._end_other_sessions(repo, user_id, session_id, "two_factor_disabled")
        await self._mail.send(
            uow,
            user_id,
            "two_factor_off",
            user.email,
            "Two-factor sign-in is off for your Disco account",
            "Two-factor sign-in was turned off for your Disco account; other devices were signed "
            "out.\n\nIf it was not you, reset your password at once and turn it back on.",
        )

    async def _require_recent_sign_in(self, repo: AuthRepository, session_id: str) -> None:
        session = await repo.session(session_id)
        if session is None or session.created_at < self._clock.now() - RECENT_SIGN_IN:
            raise Forbidden("Sign in again to change two-factor settings.")

    async def me(self, uow: UnitOfWork, user_id: str) -> UserRow:
        user = await AuthRepository(uow).user_by_id(user_id)
        if user is None or user.disabled(self._clock.now()):
            raise Unauthorized("The account no longer exists.")
        return user

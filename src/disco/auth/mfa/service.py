"""The rules of two-factor settings: set up a TOTP secret, turn two-factor on (with recovery
codes) and off, each after a recent sign-in. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from disco.auth.accounts.repository import AccountsRepository
from disco.auth.accounts.service import AccountsService
from disco.auth.mailing import AccountMail
from disco.auth.mfa import codes
from disco.auth.mfa.factor import BAD_CODE, SecondFactor
from disco.auth.mfa.repository import MfaRepository
from disco.auth.sessions.service import SessionsService
from disco.auth.throttle import LoginThrottle
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork
from disco.platform.errors import Conflict, Forbidden, ValidationFailed

__all__ = ["RECENT_SIGN_IN", "MfaService", "TotpSetup"]

# Changing two-factor settings needs a sign-in this recent (ASVS 5.0 §7.5.1: re-authenticate).
RECENT_SIGN_IN = timedelta(minutes=15)


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    otpauth_uri: str


class MfaService:
    def __init__(
        self,
        ctx: ServiceContext,
        accounts: AccountsService,
        sessions: SessionsService,
        throttle: LoginThrottle,
        second_factor: SecondFactor,
        mail: AccountMail,
    ) -> None:
        self._cipher = ctx.cipher
        self._clock = ctx.clock
        self._accounts = accounts
        self._sessions = sessions
        self._throttle = throttle
        self._second_factor = second_factor
        self._mail = mail

    async def setup_two_factor(self, uow: UnitOfWork, user_id: str) -> TotpSetup:
        """A new TOTP secret, kept (encrypted) but not in force until ``enable_two_factor``."""
        user = await self._accounts.me(uow, user_id)
        if user.totp_enabled:
            raise Conflict("Two-factor sign-in is already on; turn it off first to change it.")
        secret = codes.new_totp_secret()
        await AccountsRepository(uow).update_user(
            user_id, totp_secret=self._cipher.encrypt(secret), totp_last_step=None
        )
        return TotpSetup(secret=secret, otpauth_uri=codes.otpauth_uri(secret, user.email))

    async def enable_two_factor(
        self, uow: UnitOfWork, user_id: str, session_id: str, code: str
    ) -> list[str]:
        """Turn two-factor on with a code from the new secret; returns the recovery codes, which
        are shown this once and stored only hashed."""
        user = await self._accounts.me(uow, user_id)
        if user.totp_enabled:
            raise Conflict("Two-factor sign-in is already on.")
        if user.totp_secret is None:
            raise Conflict("Set two-factor sign-in up first.")
        await self._require_recent_sign_in(uow, session_id)
        async with await self._throttle.code(user.email) as attempt:
            if (
                not codes.is_totp_code(code)
                or await self._second_factor.spend(uow, user, code) is None
            ):
                await attempt.failed()
                raise ValidationFailed(
                    "The code is not valid; enter the current one from your app.",
                    details=[{"field": "code", "message": "wrong code"}],
                )
            await attempt.succeeded()
        recovery_codes = codes.new_recovery_codes()
        await MfaRepository(uow).replace_recovery_codes(
            user_id, [codes.recovery_code_hash(c) for c in recovery_codes]
        )
        await AccountsRepository(uow).update_user(user_id, totp_enabled=True)
        # Sessions signed in with the password alone are below the account's new bar.
        await self._sessions.end_other_sessions(uow, user_id, session_id, "two_factor_enabled")
        await self._mail.send(
            uow,
            user_id,
            "two_factor_on",
            user.email,
            "Two-factor sign-in is on for your Disco account",
            "Two-factor sign-in was turned on for your Disco account; other devices were signed "
            "out.\n\nIf it was not you, reset your password at once.",
        )
        return recovery_codes

    async def disable_two_factor(
        self, uow: UnitOfWork, user_id: str, session_id: str, code: str
    ) -> None:
        user = await self._accounts.me(uow, user_id)
        if not user.totp_enabled:
            raise Conflict("Two-factor sign-in is already off.")
        await self._require_recent_sign_in(uow, session_id)
        async with await self._throttle.code(user.email) as attempt:
            if await self._second_factor.spend(uow, user, code) is None:
                await attempt.failed()
                raise ValidationFailed(
                    BAD_CODE, details=[{"field": "code", "message": "wrong code"}]
                )
            await attempt.succeeded()
        await AccountsRepository(uow).update_user(
            user_id, totp_enabled=False, totp_secret=None, totp_last_step=None
        )
        await MfaRepository(uow).delete_recovery_codes(user_id)
        await self._sessions.end_other_sessions(uow, user_id, session_id, "two_factor_disabled")
        await self._mail.send(
            uow,
            user_id,
            "two_factor_off",
            user.email,
            "Two-factor sign-in is off for your Disco account",
            "Two-factor sign-in was turned off for your Disco account; other devices were signed "
            "out.\n\nIf it was not you, reset your password at once and turn it back on.",
        )

    async def _require_recent_sign_in(self, uow: UnitOfWork, session_id: str) -> None:
        since = self._clock.now() - RECENT_SIGN_IN
        if not await self._sessions.signed_in_since(uow, session_id, since):
            raise Forbidden("Sign in again to change two-factor settings.")

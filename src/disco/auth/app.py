"""create_app(ctx): the auth service as an ASGI app, wired by the service host."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI

from disco.auth import models
from disco.auth.accounts import api as accounts_api
from disco.auth.accounts.service import AccountsService
from disco.auth.handlers import AuthHandlers
from disco.auth.keys import SigningKeys
from disco.auth.mailing import AccountMail
from disco.auth.mfa import api as mfa_api
from disco.auth.mfa.factor import SecondFactor
from disco.auth.mfa.service import MfaService
from disco.auth.moderation import api as moderation_api
from disco.auth.moderation.service import ModerationService
from disco.auth.oidc import api as oidc_api
from disco.auth.oidc.service import OidcLogin
from disco.auth.passwords import Passwords
from disco.auth.revocations import RevocationMarks
from disco.auth.sessions import api as sessions_api
from disco.auth.sessions.repository import SessionsRepository
from disco.auth.sessions.service import SessionsService
from disco.auth.throttle import LoginThrottle
from disco.platform.context import ServiceContext
from disco.platform.host import ServiceHost
from disco.platform.reseal import Sealed

__all__ = ["MIGRATIONS", "NAME", "create_app", "metadata"]

NAME = "auth"
MIGRATIONS = Path(__file__).parent / "migrations"
metadata = models.metadata
log = logging.getLogger(__name__)
KEY_CHECK_SECONDS = 60.0


def create_app(ctx: ServiceContext) -> FastAPI:
    settings = ctx.settings
    host = ServiceHost(ctx, NAME, outbox=models.outbox, inbox=models.inbox)
    keys = SigningKeys(settings, ctx.cipher, ctx.clock)
    passwords, throttle, mail = Passwords(), LoginThrottle(ctx), AccountMail(ctx.cipher)
    second_factor = SecondFactor(ctx)
    sessions = SessionsService(ctx, keys, passwords, throttle, second_factor)
    accounts = AccountsService(ctx, passwords, throttle, mail, sessions)
    moderation = ModerationService(ctx, sessions)
    handlers = AuthHandlers(accounts, moderation)
    host.consume(handlers.table())
    host.consume(handlers.moderation_table(), group=f"{NAME}.moderation")
    marks = RevocationMarks(host.db, ctx.kv, ctx.clock, settings.access_token_ttl_seconds + 60)

    async def refresh_keys(*, force_rotate: bool = False) -> None:
        async with host.db.unit_of_work("auth.keys") as uow:
            await keys.refresh(SessionsRepository(uow), force_rotate=force_rotate)

    async def restore_marks() -> int | None:
        try:
            return await marks.restore_if_lost()
        except Exception:
            # The store is down (readyz says so); the marks go back once it answers.
            log.warning("revocation marks not checked: the key-value store did not answer")
            return None

    async def restore_at_start() -> None:
        await restore_marks()

    async def watch_marks() -> None:
        # The key-value store may restart empty at any moment: put the marks back at once.
        if await restore_marks() is not None:
            log.warning("the key-value store had lost its revocation marks: written back")

    host.on_start(refresh_keys)
    host.on_start(restore_at_start)  # before serving, so no token meets an unmarked store
    # Picks up keys another auth process made, and rotates when the current one is due.
    host.every(KEY_CHECK_SECONDS, refresh_keys, "signing key refresh")
    host.every(settings.revocation_marks_check_seconds, watch_marks, "revocation marks")
    # disco keys rotate reseals the TOTP secrets and the signing keys' private halves.
    host.sealed(
        Sealed(models.users, ("totp_secret",)),
        Sealed(models.signing_keys, ("private_key",)),
    )
    host.provide(
        sessions=sessions,
        accounts=accounts,
        recovery=accounts.recovery,
        mfa=MfaService(ctx, accounts, sessions, throttle, second_factor, mail),
        moderation=moderation,
        oidc=OidcLogin(ctx, accounts, sessions),
        keys=keys,
        rotate_keys=lambda: refresh_keys(force_rotate=True),
    )
    return host.app(
        accounts_api.router,
        sessions_api.router,
        mfa_api.router,
        oidc_api.router,
        internal=_internal(),
    )


def _internal() -> APIRouter:
    routes = APIRouter()
    routes.include_router(accounts_api.internal)
    routes.include_router(moderation_api.internal)
    return routes

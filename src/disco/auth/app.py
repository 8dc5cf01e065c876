"""create_app(ctx): the auth service as an ASGI app, with its start-up and shut-down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI

from disco.auth import api, models
from disco.auth.handlers import on_moderation_action, on_user_deleted
from disco.auth.keys import SigningKeys
from disco.auth.oidc import OidcLogin
from disco.auth.passwords import Passwords
from disco.auth.repository import AuthRepository
from disco.auth.revocations import RevocationMarks
from disco.auth.service import AuthService
from disco.platform.api import create_service_app
from disco.platform.bus.outbox import OutboxRelay
from disco.platform.context import ServiceContext
from disco.platform.db import Database
from disco.platform.reseal import Sealed, reseal_router

__all__ = ["MIGRATIONS", "NAME", "create_app", "metadata"]

NAME = "auth"
MIGRATIONS = Path(__file__).parent / "migrations"
metadata = models.metadata
log = logging.getLogger(__name__)
KEY_CHECK_SECONDS = 60.0


def create_app(ctx: ServiceContext) -> FastAPI:
    settings = ctx.settings
    db = Database(settings.database_url_for(NAME), service=NAME, outbox=models.outbox)
    keys = SigningKeys(settings, ctx.cipher, ctx.clock)
    service = AuthService(ctx, keys, Passwords())
    relay = OutboxRelay(db, ctx.bus)
    marks = RevocationMarks(db, ctx.kv, ctx.clock, settings.access_token_ttl_seconds + 60)
    ctx.bus.subscribe(NAME, ["users.user.deleted"], on_user_deleted(ctx, db))
    ctx.bus.subscribe(
        f"{NAME}.moderation",
        ["safety.moderation.action_taken"],
        on_moderation_action(db, service),
    )

    async def refresh_keys(*, force_rotate: bool = False) -> None:
        async with db.unit_of_work("auth.keys") as uow:
            await keys.refresh(AuthRepository(uow), force_rotate=force_rotate)

    async def watch_keys() -> None:
        # Picks up keys another auth process made, and rotates when the current one is due.
        while True:
            await asyncio.sleep(KEY_CHECK_SECONDS)
            try:
                await refresh_keys()
            except Exception:
                log.exception("signing key refresh failed")

    async def restore_marks() -> int | None:
        try:
            return await marks.restore_if_lost()
        except Exception:
            # The store is down (readyz says so); the marks go back once it answers.
            log.warning("revocation marks not checked: the key-value store did not answer")
            return None

    async def watch_marks() -> None:
        # The key-value store may restart empty at any moment: put the marks back at once.
        while True:
            await asyncio.sleep(settings.revocation_marks_check_seconds)
            if await restore_marks() is not None:
                log.warning("the key-value store had lost its revocation marks: written back")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await refresh_keys()
        await restore_marks()  # before serving, so no token meets an unmarked store
        if settings.outbox_relay:
            relay.start()
        watchers = [asyncio.create_task(watch_keys()), asyncio.create_task(watch_marks())]
        try:
            yield
        finally:
            for watcher in watchers:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            await relay.stop()
            await db.dispose()

    # disco keys rotate reseals the TOTP secrets and the signing keys' private halves.
    sealed = [Sealed(models.users, ("totp_secret",)), Sealed(models.signing_keys, ("private_key",))]
    internal = APIRouter()
    internal.include_router(api.internal)
    internal.include_router(reseal_router(NAME, db, ctx.cipher, sealed))
    app = create_service_app(
        NAME,
        credentials=ctx.credentials,
        max_body_bytes=settings.max_body_bytes,
        lifespan=lifespan,
        internal=internal,
    )
    app.state.service = service
    app.state.oidc = OidcLogin(ctx, service)
    app.state.db = db
    app.state.token_verifier = ctx.tokens
    app.state.readiness["database"] = db.ping
    app.state.rotate_keys = lambda: refresh_keys(force_rotate=True)
    app.include_router(api.router)
    return app

"""Builds the backends from Settings and runs one, several or all services in this process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from random import Random

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from disco.auth import app as auth_app
from disco.chat import app as chat_app
from disco.clients.auth import AuthClient
from disco.config import SERVICES, Settings
from disco.gateway import app as gateway_app
from disco.match import app as match_app
from disco.platform import migrations
from disco.platform.bus import EventBus
from disco.platform.bus.memory import MemoryBus
from disco.platform.bus.rabbitmq import RabbitBus
from disco.platform.clock import Clock, SystemClock
from disco.platform.context import ServiceContext
from disco.platform.http import ServiceDirectory
from disco.platform.kv import KeyValue
from disco.platform.kv.memory import MemoryKV
from disco.platform.kv.redis import RedisKV
from disco.platform.mail import Mailer, build_mailer
from disco.platform.security import FieldCipher, TokenVerifier
from disco.platform.service_auth import ServiceCredentials
from disco.safety import app as safety_app
from disco.users import app as users_app

__all__ = ["ServiceModule", "System", "build_asgi", "load_encryption_keys"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceModule:
    name: str
    create_app: Callable[[ServiceContext], FastAPI]
    migrations: Path | None


# Every service's app module, by name. Gateway last: it fronts the others.
MODULES: dict[str, ServiceModule] = {
    "auth": ServiceModule("auth", auth_app.create_app, auth_app.MIGRATIONS),
    "users": ServiceModule("users", users_app.create_app, users_app.MIGRATIONS),
    "match": ServiceModule("match", match_app.create_app, match_app.MIGRATIONS),
    "safety": ServiceModule("safety", safety_app.create_app, safety_app.MIGRATIONS),
    "chat": ServiceModule("chat", chat_app.create_app, chat_app.MIGRATIONS),
    "gateway": ServiceModule("gateway", gateway_app.create_app, None),
}
assert tuple(MODULES) == SERVICES, "config.SERVICES and runtime.MODULES disagree"


def load_encryption_keys(settings: Settings) -> list[str]:
    """Configured keys, or (outside production) a key generated once into the data folder."""
    if settings.encryption_keys:
        return settings.encryption_keys
    if settings.environment == "production":
        raise RuntimeError("DISCO_ENCRYPTION_KEYS must be set in production")
    path = settings.data_dir / "secret.keys"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(FieldCipher.generate_key() + "\n")
        path.chmod(0o600)
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


class System:
    """One process's share of Disco: the named services, on backends chosen by Settings.

    Services not run here are reached over the network at ``settings.service_urls``.
    """

    def __init__(
        self,
        settings: Settings,
        services: Sequence[str] = SERVICES,
        *,
        clock: Clock | None = None,
        kv: KeyValue | None = None,
        bus: EventBus | None = None,
        mailer: Mailer | None = None,
        random: Random | None = None,
    ) -> None:
        unknown = set(services) - set(MODULES)
        if unknown:
            raise ValueError(f"unknown services: {', '.join(sorted(unknown))}")
        self.settings = settings
        self.names = [name for name in MODULES if name in services]
        self.clock = clock or SystemClock()
        self.kv = kv or (
            RedisKV(settings.redis_url, settings.namespace) if settings.redis_url else MemoryKV()
        )
        self.bus = bus or (
            RabbitBus(settings.amqp_url, settings.namespace) if settings.amqp_url else MemoryBus()
        )
        self.mailer = mailer or build_mailer(settings.smtp_url, settings.data_dir)
        cipher = FieldCipher(load_encryption_keys(settings))
        self.credentials = ServiceCredentials(
            cipher.derive_secrets("service-credentials"), caller="+".join(self.names)
        )
        self.directory = ServiceDirectory(self.credentials, settings.service_urls)
        auth_client = AuthClient(self.directory)
        self.tokens = TokenVerifier(
            load_jwks=auth_client.jwks,
            kv=self.kv,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        self.context = ServiceContext(
            settings=settings,
            clock=self.clock,
            kv=self.kv,
            bus=self.bus,
            services=self.directory,
            tokens=self.tokens,
            cipher=cipher,
            credentials=self.credentials,
            mailer=self.mailer,
            random=random or Random(),
        )
        self.apps: dict[str, FastAPI] = {}
        for name in self.names:
            app = MODULES[name].create_app(self.context)
            self.apps[name] = app
            self.directory.register_app(name, app)
        self._stack: AsyncExitStack | None = None

    @property
    def front(self) -> FastAPI:
        """The app that answers this process's port: the gateway if it runs here."""
        return self.apps["gateway"] if "gateway" in self.apps else self.apps[self.names[0]]

    async def migrate(self) -> None:
        await migrate(self.settings, self.names)

    async def start(self, *, migrate_first: bool = True) -> None:
        if migrate_first:
            await self.migrate()
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            await self.bus.start()
            stack.push_async_callback(self.bus.close)
            stack.push_async_callback(self.kv.close)
            stack.push_async_callback(self.mailer.close)
            stack.push_async_callback(self.directory.close)
            # Services before the gateway, so it never routes to one that is not up.
            for name in self.names:
                app = self.apps[name]
                await stack.enter_async_context(app.router.lifespan_context(app))
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        log.info("disco started: %s", ", ".join(self.names))

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None


async def migrate(settings: Settings, names: Sequence[str] = SERVICES) -> None:
    for name in names:
        module = MODULES[name]
        if module.migrations is not None:
            await asyncio.to_thread(
                migrations.upgrade, name, settings.database_url_for(name), module.migrations
            )


class _Lifespan:
    """Serves ``system.front`` and ties the system's start and stop to the server's lifespan."""

    def __init__(self, system: System) -> None:
        self.system = system

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.system.front(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.system.start()
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.system.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def build_asgi(system: System) -> ASGIApp:
    return _Lifespan(system)

"""create_app(ctx): the chat service as an ASGI app, wired by the service host."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from disco.chat import api, models
from disco.chat.expiry import ChatExpiry
from disco.chat.handlers import ChatHandlers
from disco.chat.keys import api as keys_api
from disco.chat.keys.service import KeysService
from disco.chat.media import api as media_api
from disco.chat.media.service import MediaService
from disco.chat.messages import api as messages_api
from disco.chat.messages.service import MessagesService
from disco.chat.presence import PresenceBook
from disco.chat.service import ChatService
from disco.platform.blobs import LocalBlobStore
from disco.platform.context import ServiceContext
from disco.platform.host import ServiceHost

__all__ = ["MIGRATIONS", "NAME", "create_app", "metadata"]

NAME = "chat"
MIGRATIONS = Path(__file__).parent / "migrations"
metadata = models.metadata


def create_app(ctx: ServiceContext) -> FastAPI:
    settings = ctx.settings
    host = ServiceHost(
        ctx, NAME, outbox=models.outbox, inbox=models.inbox, erased=models.erased_users
    )
    blobs = LocalBlobStore(settings.data_dir / "chat-media")
    presence = PresenceBook(ctx.kv, ctx.clock, settings.presence_renew_seconds)
    chat = ChatService(ctx, presence)
    handlers = ChatHandlers(chat, host.db)
    host.consume(handlers.table())
    host.listen(f"{NAME}.presence", handlers.presence_table())
    expiry = ChatExpiry(
        host.db, blobs, ctx.clock, longest_ttl_seconds=settings.chat_message_ttl_seconds
    )

    async def expire() -> None:
        await expiry.run()

    host.on_start(expire)  # the partitions of the coming hours exist before the first send
    host.every(settings.chat_expiry_every_seconds, expire, "chat expiry")
    host.provide(
        chat=chat,
        messages=MessagesService(ctx, presence),
        media=MediaService(ctx, host.db, blobs),
        keys=KeysService(ctx),
        expiry=expiry,
    )
    return host.app(
        api.router, messages_api.router, media_api.router, keys_api.router, internal=api.internal
    )

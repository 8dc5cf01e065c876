"""create_app(ctx): the users service as an ASGI app, wired by the service host."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from disco.clients.exports import share_of_export
from disco.platform.context import ServiceContext
from disco.platform.host import ServiceHost
from disco.platform.reseal import Sealed
from disco.users import api, models
from disco.users.contacts import api as contacts_api
from disco.users.contacts.service import ContactsService
from disco.users.handlers import UsersHandlers
from disco.users.photos import api as photos_api
from disco.users.photos.service import PhotosService
from disco.users.photos.storage import LocalPhotoStore
from disco.users.privacy import api as privacy_api
from disco.users.privacy.service import PrivacyService
from disco.users.service import UsersService

__all__ = ["MIGRATIONS", "NAME", "create_app", "metadata"]

NAME = "users"
MIGRATIONS = Path(__file__).parent / "migrations"
metadata = models.metadata


def create_app(ctx: ServiceContext) -> FastAPI:
    host = ServiceHost(ctx, NAME, outbox=models.outbox, inbox=models.inbox)
    photos = PhotosService(ctx, LocalPhotoStore(ctx.settings.data_dir / "photos"))
    contacts = ContactsService(ctx)
    privacy = PrivacyService(ctx)
    # Each service that holds data about a user adds its share of the export here.
    exporters = {
        service: share_of_export(ctx.services, service)
        for service in ("auth", "match", "safety", "chat")
    }
    users = UsersService(ctx, photos, [contacts, privacy, photos], exporters)
    host.consume(UsersHandlers(users).table())
    host.sealed(
        Sealed(models.emergency_contacts, ("sealed",)), Sealed(models.privacy_zones, ("sealed",))
    )
    host.on_stop(photos.drain)  # photo files still being deleted after a commit
    host.provide(users=users, contacts=contacts, privacy=privacy, photos=photos)
    return host.app(
        api.router,
        contacts_api.router,
        privacy_api.router,
        photos_api.router,
        internal=api.internal,
    )

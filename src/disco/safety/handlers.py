"""Bus consumers of the safety service, idempotent through its inbox.

Safety keeps its own copies of what it must act on without asking anyone: each user's confirmed
emergency contacts (still sealed), first name and matches. An alert then depends on nothing but
the safety service being up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from disco.contracts.events.match import MatchCreated, MatchEnded
from disco.contracts.events.notifications import (
    AuthNotificationRequested,
    ChatNotificationRequested,
    NotificationRequest,
    UsersNotificationRequested,
)
from disco.contracts.events.users import (
    ContactConfirmed,
    ContactRemoved,
    ProfileUpdated,
    UserDeleted,
)
from disco.platform.bus import Envelope, Handler
from disco.platform.bus.inbox import idempotent
from disco.platform.db import Database, UnitOfWork
from disco.safety import models
from disco.safety.service import SafetyService

__all__ = ["consumer", "handlers"]

Apply = Callable[[UnitOfWork, Envelope], Awaitable[None]]


def handlers(service: SafetyService) -> dict[str, Apply]:
    """What to do with each event type the service consumes."""

    async def contact_confirmed(uow: UnitOfWork, envelope: Envelope) -> None:
        event = ContactConfirmed.model_validate(envelope.payload)
        await service.put_contact(uow, event.user_id, event.contact_id, event.sealed_details)

    async def contact_removed(uow: UnitOfWork, envelope: Envelope) -> None:
        await service.remove_contact(
            uow, ContactRemoved.model_validate(envelope.payload).contact_id
        )

    async def profile_updated(uow: UnitOfWork, envelope: Envelope) -> None:
        event = ProfileUpdated.model_validate(envelope.payload)
        await service.put_first_name(uow, event.user_id, event.first_name)

    async def user_deleted(uow: UnitOfWork, envelope: Envelope) -> None:
        await service.erase_user(uow, UserDeleted.model_validate(envelope.payload).user_id)

    async def match_created(uow: UnitOfWork, envelope: Envelope) -> None:
        event = MatchCreated.model_validate(envelope.payload)
        await service.match_created(uow, event.match_id, event.user_ids)

    async def match_ended(uow: UnitOfWork, envelope: Envelope) -> None:
        await service.match_ended(uow, MatchEnded.model_validate(envelope.payload).match_id)

    async def notification_requested(uow: UnitOfWork, envelope: Envelope) -> None:
        request = NotificationRequest.model_validate(envelope.payload)
        await service.deliver_request(uow, request)

    return {
        **{
            kind.event_type: notification_requested
            for kind in (
                AuthNotificationRequested,
                ChatNotificationRequested,
                UsersNotificationRequested,
            )
        },
        ContactConfirmed.event_type: contact_confirmed,
        ContactRemoved.event_type: contact_removed,
        ProfileUpdated.event_type: profile_updated,
        UserDeleted.event_type: user_deleted,
        MatchCreated.event_type: match_created,
        MatchEnded.event_type: match_ended,
    }


def consumer(db: Database, service: SafetyService) -> tuple[list[str], Handler]:
    """The event types to subscribe to, and one consumer for them all: each event goes to its
    handler, once per event id."""
    table = handlers(service)

    async def apply(uow: UnitOfWork, envelope: Envelope) -> None:
        handler = table.get(envelope.type)
        if handler is not None:
            await handler(uow, envelope)

    return list(table), idempotent(db, models.inbox, "safety.consumer", apply)

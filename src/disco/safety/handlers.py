"""What the safety service does with the events it consumes: ``on_<event>(uow, event)``, each
routed once through the inbox by the service host.

Safety keeps its own copies of what it must act on without asking anyone: each user's confirmed
emergency contacts (still sealed), first name and matches (``people/``). An alert then depends
on nothing but the safety service being up. Other services' ``*.notification.requested`` are
queued like safety's own notifications. A deleted user's every safety row goes, notifications
included: each part of the service erases its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

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
from disco.platform.db import UnitOfWork
from disco.safety.people.service import PeopleService
from disco.safety.people.tell import Teller

__all__ = ["Erases", "SafetyHandlers"]


class Erases(Protocol):
    """A part of the service that keeps rows naming users."""

    async def erase_user(self, uow: UnitOfWork, user_id: str) -> object: ...


class SafetyHandlers:
    def __init__(self, people: PeopleService, teller: Teller, erasers: Sequence[Erases]) -> None:
        self._people = people
        self._tell = teller
        self._erasers = erasers

    def table(self) -> dict[Any, Any]:
        return {
            ContactConfirmed: self.on_contact_confirmed,
            ContactRemoved: self.on_contact_removed,
            ProfileUpdated: self.on_profile_updated,
            UserDeleted: self.on_user_deleted,
            MatchCreated: self.on_match_created,
            MatchEnded: self.on_match_ended,
            AuthNotificationRequested: self.on_notification_requested,
            ChatNotificationRequested: self.on_notification_requested,
            UsersNotificationRequested: self.on_notification_requested,
        }

    async def on_contact_confirmed(self, uow: UnitOfWork, event: ContactConfirmed) -> None:
        await self._people.put_contact(
            uow, event.user_id, event.contact_id, event.sealed_details, event.version
        )

    async def on_contact_removed(self, uow: UnitOfWork, event: ContactRemoved) -> None:
        await self._people.remove_contact(uow, event.user_id, event.contact_id, event.version)

    async def on_profile_updated(self, uow: UnitOfWork, event: ProfileUpdated) -> None:
        await self._people.put_first_name(uow, event.user_id, event.first_name)

    async def on_user_deleted(self, uow: UnitOfWork, event: UserDeleted) -> None:
        for part in self._erasers:
            await part.erase_user(uow, event.user_id)

    async def on_match_created(self, uow: UnitOfWork, event: MatchCreated) -> None:
        await self._people.match_created(uow, event.match_id, event.user_ids)

    async def on_match_ended(self, uow: UnitOfWork, event: MatchEnded) -> None:
        await self._people.match_ended(uow, event.match_id)

    async def on_notification_requested(self, uow: UnitOfWork, event: NotificationRequest) -> None:
        await self._tell.deliver_request(uow, event)

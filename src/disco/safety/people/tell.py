"""Telling people: the one place safety turns news into notifications.

The user hears through an in-app frame on each open socket and, for what matters, a push to
each phone they registered; their emergency contacts by email and, with a phone, by SMS. Every
notification is queued in the caller's unit of work (``NotificationQueue.enqueue``), so a state
change and the messages it owes commit together or not at all; the dispatcher sends them.
Other services' ``*.notification.requested`` are queued here too, like safety's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from disco.contracts.events.notifications import NotificationContent, NotificationRequest
from disco.contracts.events.realtime import RealtimePushed
from disco.contracts.events.users import ContactDetails
from disco.platform.db import UnitOfWork
from disco.platform.security import FieldCipher
from disco.safety.notify import Channel, Notification, NotificationQueue, Priority
from disco.safety.people.repository import ContactRow, PeopleRepository

__all__ = ["ANONYMOUS", "Audience", "Contact", "Teller", "open_contacts"]

ANONYMOUS = "A Disco user"  # in messages about someone whose first name safety does not know

Devices = list[tuple[str, str]]  # (device id, sealed push token)


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    details: ContactDetails


def open_contacts(cipher: FieldCipher, rows: Iterable[ContactRow]) -> list[Contact]:
    return [
        Contact(r.contact_id, ContactDetails.model_validate_json(cipher.decrypt(r.sealed)))
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class Audience:
    """Of each user a batch tells (a scheduler pass): first name, contacts and phones."""

    names: dict[str, str]
    contacts: dict[str, list[Contact]]
    devices: dict[str, Devices]

    def name(self, user_id: str) -> str:
        return self.names.get(user_id, ANONYMOUS)


class Teller:
    def __init__(self, cipher: FieldCipher, queue: NotificationQueue) -> None:
        self._cipher = cipher
        self._queue = queue

    # --- whom -----------------------------------------------------------------------------------
    async def name(self, uow: UnitOfWork, user_id: str) -> str:
        names = await PeopleRepository(uow).first_names([user_id])
        return names.get(user_id, ANONYMOUS)

    async def contacts(self, uow: UnitOfWork, user_id: str) -> list[Contact]:
        return open_contacts(self._cipher, await PeopleRepository(uow).contacts(user_id))

    async def audience(self, uow: UnitOfWork, user_ids: Iterable[str]) -> Audience:
        """What telling these users needs, loaded once for all of them."""
        repo, ids = PeopleRepository(uow), sorted(set(user_ids))
        return Audience(
            names=await repo.first_names(ids),
            contacts={
                user_id: open_contacts(self._cipher, rows)
                for user_id, rows in (await repo.contacts_of(ids)).items()
            },
            devices=await repo.devices_of(ids),
        )

    # --- telling --------------------------------------------------------------------------------
    async def tell_contacts(
        self,
        uow: UnitOfWork,
        contacts: list[Contact],
        key: str,
        subject: str,
        body: str,
        *,
        user_id: str,
        alert_id: str | None = None,
        checkin_id: str | None = None,
    ) -> None:
        """Email every contact, and text the ones with a phone; ``key`` names the occasion."""
        await self._queue.enqueue_all(
            uow,
            [
                Notification(
                    dedupe_key=f"{key}:contact:{contact.id}:{channel}",
                    priority=Priority.EMERGENCY,
                    channel=channel,
                    recipient=recipient,
                    subject=subject,
                    body=f"Hello {contact.details.name},\n\n{body}",
                    user_id=user_id,
                    alert_id=alert_id,
                    checkin_id=checkin_id,
                )
                for contact in contacts
                for channel, recipient in _addresses(contact)
            ],
        )

    async def tell_user(
        self,
        uow: UnitOfWork,
        user_id: str,
        key: str,
        frame_type: str,
        subject: str,
        data: dict[str, Any],
        *,
        priority: Priority = Priority.SAFETY,
        push: bool = False,
        devices: Devices | None = None,
    ) -> None:
        """An in-app frame on each of the user's open sockets (their other devices too), and
        with ``push`` a push to each phone they registered (``devices``, if already loaded),
        for an app that is not open.

        The frame goes straight into this transaction's outbox rather than through the
        notification queue: it is as durable that way, and a busy scheduler pass (thousands of
        escalations) does not double the dispatcher's work with frames to sockets.
        """
        frame = {"subject": subject, "body": subject, **data}
        await uow.publish(RealtimePushed(user_ids=[user_id], frame_type=frame_type, data=frame))
        if not push:
            return
        if devices is None:
            devices = await PeopleRepository(uow).devices(user_id)
        await self._queue.enqueue_all(
            uow,
            [
                Notification(
                    dedupe_key=f"{key}:push:{device_id}",
                    priority=priority,
                    channel="push",
                    recipient=self._cipher.decrypt(sealed),
                    subject=subject,
                    body=subject,
                    data=data,
                    user_id=user_id,
                    frame_type=frame_type,
                )
                for device_id, sealed in devices
            ],
        )

    async def deliver_request(self, uow: UnitOfWork, request: NotificationRequest) -> None:
        """Another service's ``*.notification.requested``: queued like our own, so it is
        durable, retried, deduplicated (by the requester's key) and audited."""
        content = NotificationContent.model_validate_json(self._cipher.decrypt(request.sealed))
        if request.channel == "push":
            devices = await PeopleRepository(uow).devices(request.user_id)
            recipients = [(f"push:{d}", self._cipher.decrypt(token)) for d, token in devices]
        elif request.channel == "in_app":
            recipients = [("in_app", request.user_id)]
        else:
            assert content.address is not None, "an email or SMS request carries its address"
            recipients = [(request.channel, content.address)]
        await self._queue.enqueue_all(
            uow,
            [
                Notification(
                    dedupe_key=f"{request.dedupe_key}:{suffix}",
                    priority=Priority[request.priority.upper()],
                    channel=request.channel,
                    recipient=recipient,
                    subject=content.subject,
                    body=content.body or content.subject,
                    data=content.data,
                    user_id=request.user_id,
                    frame_type=request.frame_type,
                )
                for suffix, recipient in recipients
            ],
        )


def _addresses(contact: Contact) -> list[tuple[Channel, str]]:
    """Where a contact is told: by email, and by SMS too when they gave a phone."""
    found: list[tuple[Channel, str]] = [("email", contact.details.email)]
    if contact.details.phone:
        found.append(("sms", contact.details.phone))
    return found

"""The rules of emergency contacts. A contact counts only once they have agreed, by following
a single-use link mailed to them; the mail is asked of safety's notification dispatch in the
same transaction as the change that needs it, so it is never lost to an SMTP outage or a crash
(and never sent for a change that rolled back)."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from disco.clients.notify import request_notification
from disco.contracts.events.notifications import UsersNotificationRequested
from disco.contracts.events.users import ContactConfirmed, ContactDetails, ContactRemoved
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import Conflict, NotFound, RateLimited, ValidationFailed
from disco.users.access import own_profile
from disco.users.contacts.repository import ContactRow, ContactsRepository
from disco.users.contacts.schemas import Contact, ContactIn, ContactPatch
from disco.users.repository import ProfileRow
from disco.users.schemas import exported

__all__ = ["MAX_CONTACTS", "ContactsService"]

MAX_CONTACTS = 5
NO_CONTACT = "No such emergency contact."
ALREADY_CONFIRMED = "This contact has already confirmed; there is no link to send."


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Link:
    """A confirmation link: the token goes in the mail, only its hash is stored."""

    token: str
    token_hash: str
    expires_at: datetime


class ContactsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._cipher = ctx.cipher
        self._kv = ctx.kv

    def _details(self, contact: ContactRow) -> ContactDetails:
        return ContactDetails.model_validate_json(self._cipher.decrypt(contact.sealed))

    def _contact(self, contact: ContactRow) -> Contact:
        return Contact.of(contact, self._details(contact))

    async def _owned(self, repo: ContactsRepository, user_id: str, contact_id: str) -> ContactRow:
        contact = await repo.contact(user_id, contact_id)
        if contact is None:
            raise NotFound(NO_CONTACT)
        return contact

    # --- the user's side ------------------------------------------------------------------------
    async def contacts(self, uow: UnitOfWork, user_id: str) -> list[Contact]:
        await own_profile(uow, user_id)
        return [self._contact(c) for c in await ContactsRepository(uow).contacts(user_id)]

    async def add_contact(self, uow: UnitOfWork, user_id: str, body: ContactIn) -> Contact:
        profile = await own_profile(uow, user_id)
        repo = ContactsRepository(uow)
        if await repo.count(user_id) >= MAX_CONTACTS:
            raise Conflict(f"At most {MAX_CONTACTS} emergency contacts; remove one first.")
        contact_id = new_id()
        details = ContactDetails(name=body.name, email=str(body.email).lower(), phone=body.phone)
        link = self._new_link()
        await repo.add(
            id=contact_id,
            user_id=user_id,
            sealed=self._cipher.encrypt(details.model_dump_json()),
            token_hash=link.token_hash,
            token_expires_at=link.expires_at,
            created_at=self._clock.now(),
        )
        await self._ask_to_confirm(uow, profile, contact_id, details, link)
        return self._contact(await self._owned(repo, user_id, contact_id))

    async def update_contact(
        self, uow: UnitOfWork, user_id: str, contact_id: str, body: ContactPatch
    ) -> Contact:
        profile = await own_profile(uow, user_id)
        repo = ContactsRepository(uow)
        contact = await self._owned(repo, user_id, contact_id)
        old = self._details(contact)
        new = old.model_copy(update=body.model_dump(exclude_unset=True))
        new = new.model_copy(update={"email": new.email.lower()})
        values: dict[str, Any] = {"sealed": self._cipher.encrypt(new.model_dump_json())}
        if new.email != old.email:
            # A new address has not agreed to anything yet: it confirms afresh.
            link = self._new_link()
            values.update(
                confirmed_at=None, token_hash=link.token_hash, token_expires_at=link.expires_at
            )
            await self._ask_to_confirm(uow, profile, contact_id, new, link)
            if contact.confirmed_at is not None:
                await self._publish_removed(uow, repo, contact)
        await repo.change(contact_id, **values)
        updated = await self._owned(repo, user_id, contact_id)
        if updated.confirmed_at is not None:
            await self._publish_confirmed(uow, repo, updated)
        return self._contact(updated)

    async def delete_contact(self, uow: UnitOfWork, user_id: str, contact_id: str) -> None:
        repo = ContactsRepository(uow)
        contact = await self._owned(repo, user_id, contact_id)
        if contact.confirmed_at is not None:
            await self._publish_removed(uow, repo, contact)  # raises its version: before delete
        if not await repo.remove(user_id, contact_id):
            raise NotFound(NO_CONTACT)

    async def resend(self, uow: UnitOfWork, user_id: str, contact_id: str) -> Contact:
        """A fresh link for a contact who has not confirmed yet (lost the mail, or let the link
        expire): the old link stops working, and the new one is mailed."""
        profile = await own_profile(uow, user_id)
        repo = ContactsRepository(uow)
        contact = await self._owned(repo, user_id, contact_id)
        if contact.confirmed_at is not None:
            raise Conflict(ALREADY_CONFIRMED)
        await self._spend_resend(contact_id)
        link = self._new_link()
        if not await repo.renew_link(contact_id, link.token_hash, link.expires_at):
            raise Conflict(ALREADY_CONFIRMED)  # they confirmed a moment ago
        await self._ask_to_confirm(uow, profile, contact_id, self._details(contact), link)
        return self._contact(contact)

    async def _spend_resend(self, contact_id: str) -> None:
        # Per contact, so that nobody can make Disco mail a stranger over and over.
        count, reset = await self._kv.hit(f"users:contact-link:{contact_id}", 3600)
        if count > self._settings.contact_link_resends_per_hour:
            raise RateLimited(
                "This contact has been sent enough links for now; try again later.",
                headers={"Retry-After": str(max(1, math.ceil(reset)))},
            )

    # --- the contact's side ---------------------------------------------------------------------
    async def confirm_contact(self, uow: UnitOfWork, token: str) -> str:
        """The contact followed their link; returns the name of the user they now stand by."""
        repo = ContactsRepository(uow)
        contact = await repo.confirm(hash_token(token), self._clock.now())
        if contact is None:
            raise ValidationFailed("The confirmation link is invalid, used or expired.")
        await self._publish_confirmed(uow, repo, contact)
        profile = await own_profile(uow, contact.user_id)
        return profile.first_name

    async def _publish_confirmed(
        self, uow: UnitOfWork, repo: ContactsRepository, contact: ContactRow
    ) -> None:
        await uow.publish(
            ContactConfirmed(
                user_id=contact.user_id,
                contact_id=contact.id,
                sealed_details=ContactConfirmed.seal(self._cipher, self._details(contact)),
                version=await repo.next_contact_version(contact.id),
            )
        )

    async def _publish_removed(
        self, uow: UnitOfWork, repo: ContactsRepository, contact: ContactRow
    ) -> None:
        version = await repo.next_contact_version(contact.id)
        await uow.publish(
            ContactRemoved(user_id=contact.user_id, contact_id=contact.id, version=version)
        )

    # --- the link and its mail ------------------------------------------------------------------
    def _new_link(self) -> Link:
        token = secrets.token_urlsafe(32)
        expires_at = self._clock.now() + timedelta(seconds=self._settings.email_token_ttl_seconds)
        return Link(token, hash_token(token), expires_at)

    async def _ask_to_confirm(
        self,
        uow: UnitOfWork,
        profile: ProfileRow,
        contact_id: str,
        contact: ContactDetails,
        link: Link,
    ) -> None:
        # The web app's page, which asks before it confirms: mail scanners open links.
        url = f"{self._settings.base_url}/#/contacts/confirm?token={link.token}"
        who = f"{profile.first_name} {profile.last_name}".strip()
        hours = self._settings.email_token_ttl_seconds // 3600
        await request_notification(
            uow,
            self._cipher,
            UsersNotificationRequested,
            # One mail per link: a resend is a new link, so a new mail.
            dedupe_key=f"users:contact:{contact_id}:link:{link.token_hash[:16]}",
            channel="email",
            priority="safety",
            user_id=profile.user_id,
            address=contact.email,
            subject=f"{who} asks you to be their emergency contact on Disco",
            body=(
                f"Hello {contact.name},\n\n{who} would like you to be one of their emergency "
                f"contacts on Disco. If they raise an alert or miss a safety check-in, you will "
                f"be told where they are.\n\nTo agree, open this link (it works once, for "
                f"{hours} hours):\n{url}\n\nIf you do not know {who}, ignore this mail: nothing "
                "will be sent to you."
            ),
        )

    # --- the user's data ------------------------------------------------------------------------
    async def export(self, uow: UnitOfWork, user_id: str) -> dict[str, Any]:
        return {"emergencyContacts": [exported(c) for c in await self.contacts(uow, user_id)]}

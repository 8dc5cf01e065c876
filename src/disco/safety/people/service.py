"""Safety's own copies of people (kept from other services' events) and what a user manages of
them here: the contacts safety will tell, and the phones it pushes to. Never commits."""

from __future__ import annotations

from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork
from disco.platform.errors import NotFound
from disco.safety.people.repository import PeopleRepository
from disco.safety.people.schemas import SafetyContact, SafetyContacts
from disco.safety.people.tell import open_contacts

__all__ = ["PeopleService", "partner_in"]


async def partner_in(uow: UnitOfWork, user_id: str, match_id: str, *, ongoing: bool = False) -> str:
    """The user's partner in ``match_id`` (with ``ongoing``, only while it lasts); NotFound
    unless the user is in it."""
    match = await PeopleRepository(uow).match(match_id)
    partner = match.partner_of(user_id) if match else None
    if match is None or partner is None or (ongoing and match.ended_at is not None):
        raise NotFound("No such match.")
    return partner


class PeopleService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._clock = ctx.clock
        self._cipher = ctx.cipher

    # --- projections ----------------------------------------------------------------------------
    async def put_contact(
        self, uow: UnitOfWork, user_id: str, contact_id: str, sealed: str, version: int
    ) -> None:
        repo = PeopleRepository(uow)
        if await repo.claim_contact_version(contact_id, user_id, version):
            await repo.put_contact(contact_id, user_id, sealed, self._clock.now())

    async def remove_contact(
        self, uow: UnitOfWork, user_id: str, contact_id: str, version: int
    ) -> None:
        repo = PeopleRepository(uow)
        if await repo.claim_contact_version(contact_id, user_id, version):
            await repo.delete_contact(contact_id)

    async def put_first_name(self, uow: UnitOfWork, user_id: str, first_name: str) -> None:
        await PeopleRepository(uow).put_first_name(user_id, first_name)

    async def match_created(self, uow: UnitOfWork, match_id: str, user_ids: list[str]) -> None:
        a, b = user_ids
        await PeopleRepository(uow).put_match(match_id, a, b, self._clock.now())

    async def match_ended(self, uow: UnitOfWork, match_id: str) -> None:
        await PeopleRepository(uow).end_match(match_id, self._clock.now())

    async def erase_user(self, uow: UnitOfWork, user_id: str) -> None:
        await PeopleRepository(uow).erase_user(user_id)

    # --- the user's own -------------------------------------------------------------------------
    async def contacts(self, uow: UnitOfWork, user_id: str) -> SafetyContacts:
        opened = open_contacts(self._cipher, await PeopleRepository(uow).contacts(user_id))
        return SafetyContacts(
            contacts=[SafetyContact(id=c.id, **c.details.model_dump()) for c in opened]
        )

    async def put_device(self, uow: UnitOfWork, user_id: str, device_id: str, token: str) -> None:
        sealed = self._cipher.encrypt(token)
        await PeopleRepository(uow).put_device(user_id, device_id, sealed, self._clock.now())

    async def remove_device(self, uow: UnitOfWork, user_id: str, device_id: str) -> None:
        if not await PeopleRepository(uow).delete_device(user_id, device_id):
            raise NotFound("No such device.")

"""Every SQL statement of safety's own copies of what it must know of people: each user's
confirmed emergency contacts (sealed), first name, phones (sealed push tokens) and matches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select, update

from disco.platform.repository import Repository
from disco.safety import models as m

__all__ = ["ContactRow", "MatchRow", "PeopleRepository"]


@dataclass(frozen=True, slots=True)
class ContactRow:
    contact_id: str
    user_id: str
    sealed: str


@dataclass(frozen=True, slots=True)
class MatchRow:
    match_id: str
    user_a: str
    user_b: str
    ended_at: datetime | None

    def partner_of(self, user_id: str) -> str | None:
        if user_id == self.user_a:
            return self.user_b
        if user_id == self.user_b:
            return self.user_a
        return None


class PeopleRepository(Repository):
    # --- contacts (projection of users.contact.*) -----------------------------------------------
    async def claim_contact_version(self, contact_id: str, user_id: str, version: int) -> bool:
        """False when a newer state of the contact was applied already (see claim_version)."""
        key = {"contact_id": contact_id}
        return await self.claim_version(m.contact_versions, key, version, {"user_id": user_id})

    async def put_contact(self, contact_id: str, user_id: str, sealed: str, now: datetime) -> None:
        values = {"contact_id": contact_id, "user_id": user_id, "sealed": sealed, "updated_at": now}
        await self.upsert(m.contacts, values, key=["contact_id"], update=["sealed", "updated_at"])

    async def delete_contact(self, contact_id: str) -> None:
        await self._s.execute(delete(m.contacts).where(m.contacts.c.contact_id == contact_id))

    async def contacts(self, user_id: str) -> list[ContactRow]:
        return (await self.contacts_of([user_id])).get(user_id, [])

    async def contacts_of(self, user_ids: Sequence[str]) -> dict[str, list[ContactRow]]:
        c = m.contacts
        rows = await self._s.execute(
            select(c.c.contact_id, c.c.user_id, c.c.sealed)
            .where(c.c.user_id.in_(user_ids))
            .order_by(c.c.contact_id)
        )
        found: dict[str, list[ContactRow]] = {}
        for row in rows:
            found.setdefault(row.user_id, []).append(ContactRow(**row._asdict()))
        return found

    # --- first names (projection of users.profile.updated) --------------------------------------
    async def put_first_name(self, user_id: str, first_name: str) -> None:
        await self.upsert(m.people, {"user_id": user_id, "first_name": first_name}, key=["user_id"])

    async def first_names(self, user_ids: Sequence[str]) -> dict[str, str]:
        p = m.people
        rows = await self._s.execute(
            select(p.c.user_id, p.c.first_name).where(p.c.user_id.in_(user_ids))
        )
        return {row.user_id: row.first_name for row in rows}

    # --- devices --------------------------------------------------------------------------------
    async def put_device(self, user_id: str, device_id: str, sealed: str, now: datetime) -> None:
        values = {
            "user_id": user_id,
            "device_id": device_id,
            "sealed_token": sealed,
            "updated_at": now,
        }
        await self.upsert(m.devices, values, key=["user_id", "device_id"])

    async def delete_device(self, user_id: str, device_id: str) -> bool:
        d = m.devices
        return bool(
            await self.rowcount(delete(d).where(d.c.user_id == user_id, d.c.device_id == device_id))
        )

    async def devices(self, user_id: str) -> list[tuple[str, str]]:
        """(device id, sealed push token) of each of the user's phones."""
        return (await self.devices_of([user_id])).get(user_id, [])

    async def devices_of(self, user_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        d = m.devices
        rows = await self._s.execute(
            select(d.c.user_id, d.c.device_id, d.c.sealed_token).where(d.c.user_id.in_(user_ids))
        )
        found: dict[str, list[tuple[str, str]]] = {}
        for row in rows:
            found.setdefault(row.user_id, []).append((row.device_id, row.sealed_token))
        return found

    # --- matches (projection of match.*) --------------------------------------------------------
    async def put_match(self, match_id: str, user_a: str, user_b: str, now: datetime) -> None:
        values = {"match_id": match_id, "user_a": user_a, "user_b": user_b, "created_at": now}
        await self.insert_new(m.matches, values)

    async def end_match(self, match_id: str, now: datetime) -> None:
        t = m.matches
        await self._s.execute(
            update(t).where(t.c.match_id == match_id, t.c.ended_at.is_(None)).values(ended_at=now)
        )

    async def match(self, match_id: str) -> MatchRow | None:
        t = m.matches
        query = select(t.c.match_id, t.c.user_a, t.c.user_b, t.c.ended_at).where(
            t.c.match_id == match_id
        )
        row = (await self._s.execute(query)).first()
        return MatchRow(**row._asdict()) if row else None

    # --- erasure --------------------------------------------------------------------------------
    async def erase_user(self, user_id: str) -> None:
        await self._s.execute(delete(m.contacts).where(m.contacts.c.user_id == user_id))
        v = m.contact_versions
        await self._s.execute(delete(v).where(v.c.user_id == user_id))
        await self._s.execute(delete(m.people).where(m.people.c.user_id == user_id))
        await self._s.execute(delete(m.devices).where(m.devices.c.user_id == user_id))
        t = m.matches
        await self._s.execute(delete(t).where(or_(t.c.user_a == user_id, t.c.user_b == user_id)))

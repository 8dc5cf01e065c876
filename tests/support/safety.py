"""Safety-service helpers: a user with confirmed emergency contacts, a match, a moderator."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx

from disco.client import DiscoClient
from disco.runtime import System
from tests.conftest import unique_email
from tests.support.encounters import record_encounter
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.users import make_moderator, person

_phones = itertools.count(100)


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str | None


def uid(client: DiscoClient) -> str:
    assert client.user is not None
    return str(client.user["id"])


async def with_contacts(
    url: str, mailbox: Mailbox, first_name: str, count: int = 3, *, phones: bool = True
) -> tuple[DiscoClient, list[Contact]]:
    """A new user whose ``count`` contacts confirmed their links, once safety knows them all."""
    client = await person(url, first_name)
    contacts = []
    for n in range(count):
        contact = Contact(
            f"Contact {n}",
            unique_email("contact"),
            f"+4477009{next(_phones):05d}" if phones else None,
        )
        body = {"name": contact.name, "email": contact.email}
        if contact.phone:
            body["phone"] = contact.phone
        await client.post("/v1/users/me/emergency-contacts", body)
        (mail,) = await mailbox.wait_for(contact.email)
        async with httpx.AsyncClient(base_url=url) as anonymous:
            confirmed = await anonymous.get(
                "/v1/users/contacts/confirm", params={"token": mail.token()}
            )
            assert confirmed.status_code == 200, confirmed.text
        contacts.append(contact)

    async def all_known() -> bool:
        known = (await client.get("/v1/safety/contacts"))["contacts"]
        return len(known) == count

    await eventually(all_known, what="safety to learn the confirmed contacts")
    return client, contacts


async def moderator(system: System, url: str) -> DiscoClient:
    client = await person(url, "Mod")
    assert client.user is not None
    await make_moderator(system, client, client.user["email"])
    return client


async def matched(system: System, a: DiscoClient, b: DiscoClient) -> str:
    """The two meet and both express interest, through the match service; the match id once
    safety has heard of it."""
    await record_encounter(system, a, b)
    await a.post("/v1/connections", {"userId": uid(b)})
    answer = await b.post("/v1/connections", {"userId": uid(a)})
    assert answer["status"] == "accepted", answer
    match_id = str(answer["matchId"])

    async def known() -> bool:
        response = await a.request(
            "GET",
            "/v1/safety/meeting-spots",
            params={"matchId": match_id, "latitude": 0, "longitude": 0},
        )
        return response.status_code == 200

    await eventually(known, what="safety to hear of the match")
    return match_id

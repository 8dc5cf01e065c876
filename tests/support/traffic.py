"""Real traffic for the fault suite, and its ledger: what each person was told succeeded, and
what reached the other end.

Each person acts as an app does through an outage: a request that got no answer, or a "try
again" (502, 503, 504), is sent again through the other gateway. An alert carries an
``Idempotency-Key`` and is simply sent again. A request whose outcome is unknown and that has no
key (a sign-up; a check-in, whose due time this suite takes from the moment it is sent) is first
looked for, as the app would show it, and only sent again if it is not there. What the API
acknowledged is *sent*; what the other end holds afterwards is *delivered*.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import re
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from disco.client import ApiError, DiscoClient
from tests.conftest import PASSWORD, unique_email
from tests.support.mailbox import Mailbox

RETRYABLE = frozenset({502, 503, 504})
REFRESH = "/v1/auth/refresh"
ANSWER_WITHIN_SECONDS = 120.0  # the longest a fault may leave a request unanswered
# A request whose client gave up (the gateway's 504, the client's timeout) may still commit:
# the outage that held it up (a database restarting) ends, and it goes on.
OUTCOME_SETTLES_SECONDS = 30.0
KINDS = ("sign-up", "verification mail", "alert mail", "check-in mail", "message")
LATE_COPY_SECONDS = 10.0  # past the notification lease (9 s) a dead sender's claim holds


class NoAnswer(Exception):
    """The request's outcome is unknown: no answer, or a "try again"."""


@dataclass
class Tally:
    """One kind of traffic in one scenario."""

    sent: int = 0  # acknowledged to the person who sent it
    delivered: int = 0  # of those, found at the other end exactly once
    lost: list[str] = field(default_factory=list)  # acknowledged, never arrived
    duplicated: list[str] = field(default_factory=list)  # arrived as two different messages
    # Mail only: the same message (one Message-ID) received again; a mail client keeps one.
    resent: int = 0


class Person:
    """A signed-up user with a client on each gateway, sharing one token."""

    def __init__(self, gateways: list[str], name: str) -> None:
        self.name = name
        self.email = unique_email(name.lower())
        self.contact = ""  # their emergency contact's address, once they have one
        self.clients = [DiscoClient(url) for url in gateways]
        self._turn = itertools.cycle(range(len(gateways)))
        self._current = next(self._turn)
        self._renewing = asyncio.Lock()
        self.user_id = ""

    @property
    def client(self) -> DiscoClient:
        return self.clients[self._current]

    async def close(self) -> None:
        for client in self.clients:
            await client.close()

    def _switch(self) -> None:
        self._current = next(self._turn)

    async def once(self, method: str, path: str, **kwargs: Any) -> Any:
        """One attempt; ``NoAnswer`` (and the next attempt goes to the other gateway) when the
        outcome is unknown."""
        client, token = self.client, self.client.token
        try:
            return await client.call(method, path, **kwargs)
        except ApiError as exc:
            if exc.status == 401 and client.refresh_token and path != REFRESH:
                await self._renew(token)
                raise NoAnswer("the access token was renewed") from exc
            if exc.status not in RETRYABLE:
                raise
            self._switch()
            raise NoAnswer(str(exc)) from exc
        except httpx.TransportError as exc:
            self._switch()
            raise NoAnswer(str(exc)) from exc

    async def _renew(self, expired: str | None) -> None:
        """The access token ran out during the suite: the app refreshes it, once for all the
        requests that found it expired (a refresh token is good for one refresh)."""
        async with self._renewing:
            if self.client.token == expired:
                refresh = {"refreshToken": self.client.refresh_token}
                self._share(await self.answered("POST", REFRESH, json=refresh))

    async def _until_answered(self, attempt: Callable[[], Awaitable[Any]]) -> Any:
        deadline = time.monotonic() + ANSWER_WITHIN_SECONDS
        while True:
            try:
                return await attempt()
            except NoAnswer:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.25)

    async def answered(self, method: str, path: str, **kwargs: Any) -> Any:
        """The request, sent again until it is answered: for a read, or an idempotent write."""
        return await self._until_answered(lambda: self.once(method, path, **kwargs))

    def _share(self, pair: dict[str, Any]) -> None:
        for client in self.clients:
            client.token = pair["token"]
            client.refresh_token = pair["refreshToken"]
            client.user = pair["user"]
        self.user_id = pair["user"]["id"]

    async def sign_up(self) -> None:
        """Sign up; after an unknown outcome, the same sign-up again: "already exists" means
        an earlier attempt went through, and the person signs in."""
        body = {"email": self.email, "password": PASSWORD, "firstName": self.name}
        body["lastName"] = "Fault"
        try:
            pair = await self.answered("POST", "/v1/auth/signup", json=body)
        except ApiError as exc:
            if exc.status != 409:
                raise
            login = {"email": self.email, "password": PASSWORD}
            pair = await self.answered("POST", "/v1/auth/login", json=login)
        self._share(pair)

    async def create(self, path: str, listing: str, body: Callable[[], dict[str, Any]]) -> None:
        """POST ``body()`` to ``path``, once: after an unknown outcome, ``listing`` (the
        person's own list of such things, newest first, as the app shows it) says whether it
        was made. The body is made again for each attempt ("due in ten seconds" is from now)."""

        async def known() -> set[str]:
            return {item["id"] for item in (await self.answered("GET", path))[listing]}

        before = await known()

        async def attempt() -> None:
            try:
                await self.once("POST", path, json=body())
            except NoAnswer:
                if not await _shows_up(known, before):
                    raise

        await self._until_answered(attempt)


async def _shows_up(known: Callable[[], Awaitable[set[str]]], before: set[str]) -> bool:
    """Whether an attempt whose answer was lost went through: looked for until it shows, for
    longer than a request may still be running on the server after its client gave up (only
    the person's one loop makes such things, so anything new is its own)."""
    deadline = time.monotonic() + OUTCOME_SETTLES_SECONDS
    while not await known() - before:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(1.0)
    return True


async def with_confirmed_contact(gateways: list[str], mailbox: Mailbox, name: str) -> Person:
    """A person whose emergency contact confirmed the link, once safety knows the contact."""
    person = Person(gateways, name)
    await person.sign_up()
    person.contact = unique_email(f"{name.lower()}-contact")
    await person.answered(
        "POST",
        "/v1/users/me/emergency-contacts",
        json={"name": f"{name}'s friend", "email": person.contact},
    )
    (mail,) = await mailbox.wait_for(person.contact, timeout=60)
    async with httpx.AsyncClient(base_url=gateways[0]) as anonymous:
        confirmed = await anonymous.get(
            "/v1/users/contacts/confirm", params={"token": mail.token()}
        )
        assert confirmed.status_code == 200, confirmed.text
    deadline = time.monotonic() + 60
    while not (await person.answered("GET", "/v1/safety/contacts"))["contacts"]:
        assert time.monotonic() < deadline, "safety never learnt the confirmed contact"
        await asyncio.sleep(0.2)
    return person


def count_mails(mailbox: Mailbox, address: str, marker: str, tally: Tally) -> None:
    """One acknowledged item whose mails to ``address`` carry ``marker``: delivered when they
    are one message (however many copies of it), lost when there is none."""
    mails = [m for m in mailbox.to(address) if marker in m.body]
    assert all(m.message["Message-ID"] for m in mails), f"a mail to {address} has no Message-ID"
    ids = Counter(str(m.message["Message-ID"]) for m in mails)
    tally.resent += sum(ids.values()) - len(ids)
    if not ids:
        tally.lost.append(f"{marker} to {address}")
    elif len(ids) > 1:
        tally.duplicated.append(f"{marker} to {address}: {sorted(ids)}")
    else:
        tally.delivered += 1


@dataclass
class Traffic:
    """The scenario's traffic until ``stop`` is set, counted in ``ledger``."""

    gateways: list[str]
    mailbox: Mailbox
    people: list[Person]  # each with a confirmed contact
    chat: tuple[Person, str]  # a person and their room with a match
    scenario: str
    ledger: dict[str, Tally] = field(default_factory=dict)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    _signed_up: list[Person] = field(default_factory=list)
    _alerts: list[tuple[str, str]] = field(default_factory=list)  # (contact, marker)
    _checkins: list[tuple[str, str]] = field(default_factory=list)
    _messages: list[tuple[str, str]] = field(default_factory=list)  # (client id, message id)

    def __post_init__(self) -> None:
        self.ledger = {kind: Tally() for kind in KINDS}

    def _marker(self, kind: str) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", self.scenario)[:24]  # a chat client id's alphabet
        return f"{slug}-{kind}-{uuid.uuid4().hex[:12]}"

    async def _every(self, seconds: float, act: Callable[[], Awaitable[None]]) -> None:
        while not self.stop.is_set():
            await act()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self.stop.wait()

    async def run(self) -> None:
        """Until ``stop``: sign-ups, alerts and check-ins by each person, chat messages. One
        that fails ends them all."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._every(0.5, self._sign_up))
            for person in self.people:
                group.create_task(self._every(2.0, lambda p=person: self._alert(p)))
                group.create_task(self._every(3.0, lambda p=person: self._checkin(p)))
            group.create_task(self._every(0.5, self._message))

    async def _sign_up(self) -> None:
        person = Person(self.gateways, "Newcomer")
        await person.sign_up()
        self._signed_up.append(person)
        self.ledger["sign-up"].sent += 1

    async def _alert(self, person: Person) -> None:
        marker = self._marker("alert")
        location = {"latitude": 51.5, "longitude": -0.12}
        body = {"type": "EMERGENCY", "location": location, "message": marker}
        key = {"Idempotency-Key": marker}
        await person.answered("POST", "/v1/safety/alerts", json=body, headers=key)
        self._alerts.append((person.contact, marker))
        self.ledger["alert mail"].sent += 1

    async def _checkin(self, person: Person) -> None:
        marker = self._marker("checkin")

        def body() -> dict[str, Any]:
            # Ahead enough that a request held up by the fault still arrives before it is due.
            due = datetime.now(UTC) + timedelta(seconds=10)
            return {"dueAt": due.isoformat(), "note": marker}

        await person.create("/v1/safety/checkins", "checkins", body)
        self._checkins.append((person.contact, marker))
        self.ledger["check-in mail"].sent += 1

    async def _message(self) -> None:
        sender, room = self.chat
        marker = self._marker("message")
        body = {"ciphertext": _b64(marker), "clientMessageId": marker}
        sent = await sender.answered("POST", f"/v1/chats/rooms/{room}/messages", json=body)
        self._messages.append((marker, sent["id"]))
        self.ledger["message"].sent += 1

    async def close(self) -> None:
        for person in self._signed_up:
            await person.close()

    # --- afterwards -------------------------------------------------------------------------------
    async def settle(self, within: float) -> None:
        """Until everything acknowledged has arrived, or ``within`` seconds have passed; then
        once more after a notification lease, for a copy a second sender would make late."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            await self.count()
            if not any(t.lost for t in self.ledger.values()):
                break
            await asyncio.sleep(1.0)
        await asyncio.sleep(LATE_COPY_SECONDS)
        await self.count()

    async def count(self) -> None:
        self.ledger = {kind: Tally(sent=tally.sent) for kind, tally in self.ledger.items()}
        await self._count_sign_ups()
        for kind, items in (("alert mail", self._alerts), ("check-in mail", self._checkins)):
            for address, marker in items:
                count_mails(self.mailbox, address, marker, self.ledger[kind])
        await self._count_messages()

    async def _count_sign_ups(self) -> None:
        accounts, mails = self.ledger["sign-up"], self.ledger["verification mail"]
        mails.sent = accounts.sent
        for person in self._signed_up:
            me = await person.answered("GET", "/v1/users/me")
            if me["id"] == person.user_id and me["firstName"] == person.name:
                accounts.delivered += 1
            else:
                accounts.lost.append(person.email)
            count_mails(self.mailbox, person.email, "Confirm your email", mails)

    async def _count_messages(self) -> None:
        tally = self.ledger["message"]
        sender, room = self.chat
        history: list[dict[str, Any]] = []
        after = 0
        while True:
            page = await sender.answered(
                "GET", f"/v1/chats/rooms/{room}/messages", params={"after": after, "limit": 100}
            )
            history += page["messages"]
            if not page["hasMore"] or not page["messages"]:
                break
            after = page["messages"][-1]["seq"]
        bodies = Counter(m["ciphertext"] for m in history)
        ids = {m["id"] for m in history}
        for marker, message_id in self._messages:
            if message_id not in ids:
                tally.lost.append(marker)
            elif bodies[_b64(marker)] > 1:
                tally.duplicated.append(marker)
            else:
                tally.delivered += 1


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()

"""Account and confirmation mails go out through safety's durable notification dispatch: one
asked for while SMTP is down arrives once it is back; a pending contact can be mailed a fresh
link, which replaces the one before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from disco.client import DiscoClient
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.users import make_moderator, sign_up

CONTACTS = "/v1/users/me/emergency-contacts"


@pytest.fixture
async def ada(disco: Running) -> AsyncIterator[DiscoClient]:
    async with DiscoClient(disco.url) as c:
        await sign_up(c, unique_email("ada"), "Ada", "Lovelace")
        yield c


async def _confirm(url: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url) as anonymous:
        return await anonymous.get("/v1/users/contacts/confirm", params={"token": token})


async def test_mails_asked_for_while_mail_is_down_arrive_once_it_is_back(
    backend: str, tmp_path: Path
) -> None:
    """Auth's verification mail and users' confirmation mail, both asked for while the mail
    server is down, each arrive exactly once when it is back."""
    mailbox = Mailbox()  # not started yet: its port refuses connections
    async with (
        backend_settings(
            backend,
            tmp_path,
            smtp_url=mailbox.url,
            notify_poll_seconds=0.05,
            notify_retry_base_seconds=0.1,
            notify_retry_cap_seconds=0.5,
        ) as settings,
        serve(settings, ["auth", "users", "safety", "gateway"]) as running,
        DiscoClient(running.url) as ada,
        DiscoClient(running.url) as moderator,
    ):
        ada_email = unique_email("ada")
        ada_id = await sign_up(ada, ada_email, "Ada", "Lovelace")
        moderator_email = unique_email("moderator")
        await moderator.signup(moderator_email, PASSWORD, "Mo", "Derator")
        await make_moderator(running.system, moderator, moderator_email)
        address = unique_email("mum")

        contact = await ada.post(CONTACTS, {"name": "Mum", "email": address})
        assert contact["status"] == "pending"

        async def adas_mails() -> list[dict[str, Any]]:
            """Safety's record of the notifications asked for Ada, as moderators see them."""
            listing = await moderator.get("/v1/safety/notifications", params={"userId": ada_id})
            return list(listing["notifications"])

        async def failed() -> bool:
            mails = await adas_mails()
            return len(mails) == 2 and all(n["lastError"] for n in mails)

        await eventually(failed, what="both mails failing while SMTP is down")
        mailbox.start()
        try:
            (received,) = await mailbox.wait_for(address, timeout=30)
            assert "Ada Lovelace" in received.subject
            assert (await _confirm(running.url, received.token())).status_code == 200
            (verification,) = await mailbox.wait_for(ada_email, timeout=30)
            await ada.post("/v1/auth/verify-email", {"token": verification.token()})
            assert (await ada.get("/v1/auth/me"))["emailVerified"] is True

            async def sent() -> bool:
                return all(n["status"] == "sent" for n in await adas_mails())

            await eventually(sent, what="the mails marked sent")
            assert len(mailbox.to(address)) == 1 and len(mailbox.to(ada_email)) == 1
        finally:
            mailbox.stop()
        (listed,) = (await ada.get(CONTACTS))["contacts"]
        assert listed["status"] == "confirmed"


async def test_a_pending_contact_is_mailed_a_fresh_link_that_replaces_the_old(
    ada: DiscoClient, mailbox: Mailbox, disco: Running
) -> None:
    address = unique_email("dad")
    contact = await ada.post(CONTACTS, {"name": "Dad", "email": address})
    (first,) = await mailbox.wait_for(address)

    resent = await ada.request("POST", f"{CONTACTS}/{contact['id']}/resend")
    assert resent.status_code == 202, resent.text
    assert resent.json()["status"] == "pending" and resent.json()["id"] == contact["id"]
    _, second = await mailbox.wait_for(address, count=2)
    assert second.token() != first.token()

    stale = await _confirm(disco.url, first.token())
    assert stale.status_code == 422 and stale.json()["error"]["code"] == "VALIDATION_ERROR"
    assert (await _confirm(disco.url, second.token())).status_code == 200
    (listed,) = (await ada.get(CONTACTS))["contacts"]
    assert listed["status"] == "confirmed"

    confirmed = await ada.request("POST", f"{CONTACTS}/{contact['id']}/resend")
    assert confirmed.status_code == 409 and confirmed.json()["error"]["code"] == "CONFLICT"
    assert len(mailbox.to(address)) == 2


async def test_a_contact_is_sent_only_a_few_links_an_hour(
    ada: DiscoClient, mailbox: Mailbox, disco: Running
) -> None:
    address = unique_email("gran")
    contact = await ada.post(CONTACTS, {"name": "Gran", "email": address})
    resend = f"{CONTACTS}/{contact['id']}/resend"
    allowed = disco.system.settings.contact_link_resends_per_hour
    for _ in range(allowed):
        assert (await ada.request("POST", resend)).status_code == 202
    refused = await ada.request("POST", resend)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["Retry-After"]) > 0
    # The first mail and one for each resend allowed, in any order: only the newest link works.
    mails = await mailbox.wait_for(address, count=allowed + 1, timeout=30)
    answers = [(await _confirm(disco.url, m.token())).status_code for m in mails]
    assert sorted(answers) == [200] + [422] * allowed

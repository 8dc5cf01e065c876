"""Moderation in a real browser: a moderator finds a report in the queue and acts on it, after
confirming; the reporter then sees that action was taken."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import expect

from tests.browser.conftest import OpenPage, check_accessibility, screenshot
from tests.browser.people import account, signed_in_page
from tests.support.backends import Running
from tests.support.safety import moderator, uid

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)


async def test_a_moderator_warns_the_reported_person_from_the_queue(
    disco: Running, open_page: OpenPage
) -> None:
    ada = await account(disco, "Ada")
    eve = await account(disco, "Eve")
    details = f"Kept messaging after I said no ({uuid.uuid4().hex[:6]})"
    report = await ada.post(
        "/v1/safety/reports", {"userId": uid(eve), "reason": "harassment", "details": details}
    )
    mod = await moderator(disco.system, disco.url)
    page = await signed_in_page(open_page, mod)
    await page.goto("/#/safety")
    await page.get_by_role("link", name=re.compile("Moderation")).click()
    await expect(page.get_by_role("heading", name="Moderation")).to_be_visible()
    card = page.get_by_role("listitem").filter(has_text=details)
    await expect(card).to_be_visible()
    await check_accessibility(page, "moderation queue")

    await card.get_by_role("button", name="Warn").click()
    await expect(card.get_by_text("They get a warning in the app.")).to_be_visible()
    await card.get_by_label("Note (for the record)").fill("First warning.")
    await check_accessibility(page, "moderation confirm")
    await screenshot(page, "safety-moderation")
    await card.get_by_role("button", name="Confirm: warn").click()
    await expect(card).to_be_hidden()  # gone from the open queue

    await page.get_by_role("button", name="Done", exact=True).click()
    done = page.get_by_role("listitem").filter(has_text=details)
    await expect(done.get_by_text("Taken: Warn")).to_be_visible()
    await page.get_by_role("button", name="Alerts", exact=True).click()
    await expect(page.get_by_role("heading", name="Moderation")).to_be_visible()
    await check_accessibility(page, "moderation alerts")

    mine = await ada.get(f"/v1/safety/reports/{report['id']}")
    assert mine["status"] == "ACTIONED"
    for client in (ada, eve, mod):
        await client.close()

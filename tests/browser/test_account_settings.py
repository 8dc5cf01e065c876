"""The Me hub's settings in a real browser: discovery preferences that survive a reload,
privacy, blocks, and the account itself (export, pause, delete)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import OpenPage, PageWatch, check_accessibility, screenshot
from tests.browser.people import account, signed_in_page
from tests.conftest import PASSWORD
from tests.support.backends import Running

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)


async def dismiss_notices(page: Page) -> None:
    """Closes the "saved" notices, as a person would, so the next picture shows the screen."""
    close = page.get_by_role("button", name="Dismiss")
    while await close.count():
        await close.first.click()


async def test_discovery_preferences_survive_a_reload(open_page: OpenPage, disco: Running) -> None:
    client = await account(disco, "Ada", interests=["hiking"])
    page = await signed_in_page(open_page, client)
    await page.goto("/#/settings/discovery")
    radius = page.get_by_role("slider", name="Discovery radius")
    await radius.press("End")
    await expect(page.locator("output")).to_have_text("1 mile")
    await page.get_by_role("button", name="+ Add a time window").click()
    await page.get_by_role("button", name="Saturday").click()
    await page.get_by_label("From", exact=True).fill("18:00")
    await page.get_by_label("Until", exact=True).fill("22:30")
    # The switch's label is what a finger lands on.
    await page.get_by_text("Any age (18+)").click()
    await expect(page.get_by_role("switch", name="Any age (18+)")).not_to_be_checked()
    await page.get_by_label("From age").fill("30")
    await page.get_by_label("To age").fill("40")
    await page.get_by_role("radio", name=re.compile("^Professional")).check()
    await check_accessibility(page, "discovery settings")
    await page.evaluate("window.scrollTo(0, 0)")
    await screenshot(page, "account-settings-discovery")
    await page.get_by_role("button", name="Save preferences").click()
    await expect(page.get_by_text("Discovery preferences saved.")).to_be_visible()

    await page.reload()
    await expect(page.locator("output")).to_have_text("1 mile")
    await expect(page.get_by_text("Time window 1: Mon\u2013Sat, 18:00\u201322:30")).to_be_visible()
    await expect(page.get_by_role("button", name="Saturday")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(page.get_by_label("From age")).to_have_value("30")
    await expect(page.get_by_label("To age")).to_have_value("40")
    await expect(page.get_by_role("radio", name=re.compile("Professional"))).to_be_checked()
    prefs = await client.get("/v1/users/me/preferences")
    await client.close()
    assert prefs["discoveryRadiusMeters"] == 1609
    assert prefs["ageRange"] == {"min": 30, "max": 40}


async def test_profile_privacy_and_blocks_settings(open_page: OpenPage, disco: Running) -> None:
    client = await account(disco, "Ada", interests=["hiking", "jazz"], bio="Hello there.")
    other = await account(disco, "Bob")
    assert other.user is not None
    await client.post("/v1/users/me/blocks", {"userId": other.user["id"]})
    await other.close()
    page = await signed_in_page(open_page, client)

    await page.goto("/#/settings/profile")
    await expect(page.get_by_label("About you (optional)")).to_have_value("Hello there.")
    await page.get_by_label("Last name").fill("King")
    await check_accessibility(page, "profile settings")
    await screenshot(page, "account-settings-profile")
    await page.get_by_role("button", name="Save profile").click()
    await expect(page.get_by_text("Profile saved.")).to_be_visible()
    await dismiss_notices(page)

    await page.goto("/#/settings/privacy")
    photo_nearby = page.get_by_role("checkbox", name="Photo: people nearby")
    await expect(photo_nearby).not_to_be_checked()
    await photo_nearby.check()
    # A match sees at least what a stranger sees: that follows.
    await expect(page.get_by_role("checkbox", name="Photo: matches")).to_be_checked()
    await page.get_by_text("Read receipts", exact=True).click()
    await expect(page.get_by_role("switch", name=re.compile("Read receipts"))).not_to_be_checked()
    await expect(page.get_by_text("Chat privacy saved.")).to_be_visible()
    await dismiss_notices(page)
    await check_accessibility(page, "privacy settings")
    await screenshot(page, "account-settings-privacy")
    profile = await client.get("/v1/users/me")
    assert profile["lastName"] == "King"
    assert profile["visibility"]["nearby"]["photo"] is True
    assert (await client.get("/v1/chats/settings"))["readReceipts"] is False

    await page.goto("/#/settings/blocks")
    blocked = page.get_by_role("list", name="Blocked people").get_by_role("listitem")
    await expect(blocked).to_have_count(1)
    await expect(blocked).to_contain_text("Bob")
    await check_accessibility(page, "blocks")
    await screenshot(page, "account-settings-blocks")
    await page.get_by_role("button", name="Unblock Bob").click()
    await expect(page.get_by_text("Nobody is blocked")).to_be_visible()
    assert (await client.get("/v1/users/me/blocks"))["blocks"] == []
    await client.close()


async def test_deleting_the_account_signs_out_for_good(
    open_page: OpenPage, disco: Running, page_watch: PageWatch
) -> None:
    client = await account(disco, "Ada")
    await client.close()
    assert client.user is not None
    page = await signed_in_page(open_page, client)
    await page.goto("/#/settings/account")
    await expect(page.get_by_role("button", name="Download my data")).to_be_visible()
    async with page.expect_download() as download:
        await page.get_by_role("button", name="Download my data").click()
    assert (await download.value).suggested_filename == "disco-export.json"
    await dismiss_notices(page)
    await check_accessibility(page, "account settings")
    await screenshot(page, "account-settings-account")

    await page.get_by_role("button", name="Delete my account…").click()
    delete = page.get_by_role("button", name="Delete my account for good")
    await expect(delete).to_be_disabled()
    await page.get_by_label("Type DELETE to confirm").fill("DELETE")
    await check_accessibility(page, "delete confirmation")
    await delete.click()

    await expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    await expect(page.get_by_role("status")).to_have_text(
        "Your account was deleted. We're sorry to see you go."
    )
    assert await page.evaluate("sessionStorage.getItem('disco.session')") is None
    page_watch.expect_problem(r"HTTP 401: POST .*/v1/auth/login")
    await page.get_by_label("Email").fill(client.user["email"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await expect(page).to_have_url(re.compile(r"#/login$"))


async def test_signing_out_from_me(open_page: OpenPage, disco: Running) -> None:
    client = await account(disco, "Ada")
    await client.close()
    page = await signed_in_page(open_page, client)
    await page.goto("/#/me")
    await expect(page.get_by_role("heading", name="Ada Tester")).to_be_visible()
    await expect(page.get_by_text("Please confirm your email address")).to_be_visible()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Meet people nearby, safely")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('disco.session')") is None

"""The safety settings in a real browser: the PIN (and its duress twin), privacy zones from the
current position or typed coordinates, and the reports a person filed with what became of
them."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.browser.conftest import OpenPage, check_accessibility, screenshot
from tests.browser.people import account, signed_in_page
from tests.support.backends import Running
from tests.support.safety import uid

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)

LYON = {"latitude": 45.7642, "longitude": 4.8357}


async def test_a_pin_is_set_then_changed_only_with_the_current_one(
    disco: Running, open_page: OpenPage
) -> None:
    ada = await account(disco, "Ada")
    page = await signed_in_page(open_page, ada)
    await page.goto("/#/safety/pin")
    await expect(page.get_by_role("heading", name="Choose your PIN")).to_be_visible()
    await page.get_by_label("Choose a PIN").fill("2468")
    await page.get_by_label("Repeat the PIN").fill("2469")
    await page.get_by_role("button", name="Save PIN").click()
    await expect(page.get_by_text("The two PINs are not the same.")).to_be_visible()
    await page.get_by_label("Repeat the PIN").fill("2468")
    await page.get_by_label("Duress PIN (optional)").fill("1357")
    await check_accessibility(page, "safety PIN")
    await screenshot(page, "safety-pin")
    await page.get_by_role("button", name="Save PIN").click()
    await expect(page.get_by_text("Your PIN is saved.")).to_be_visible()
    assert await ada.get("/v1/safety/pin") == {"set": True}

    # Now changing it asks for the current one.
    await expect(page.get_by_role("heading", name="Change your PIN")).to_be_visible()
    await expect(page.get_by_label("Current PIN")).to_be_visible()
    await ada.close()


async def test_privacy_zones_from_here_or_typed_coordinates(
    disco: Running, open_page: OpenPage
) -> None:
    ada = await account(disco, "Ada")
    page = await signed_in_page(open_page, ada, geolocation=LYON)
    await page.goto("/#/safety/zones")
    await expect(page.get_by_text("No privacy zones")).to_be_visible()

    await page.get_by_label("Name").fill("Home")
    await page.get_by_role("button", name="Use my current position").click()
    await expect(page.get_by_label("Where (latitude, longitude)")).to_have_value(
        "45.76420, 4.83570"
    )
    await page.get_by_role("button", name="Add zone").click()
    zones = page.get_by_role("list", name="Your privacy zones")
    await expect(zones.get_by_text("Home")).to_be_visible()

    await page.get_by_label("Name").fill("Work")
    await page.get_by_label("Where (latitude, longitude)").fill("north of here")
    await page.get_by_role("button", name="Add zone").click()
    await expect(page.get_by_text("Type a latitude and a longitude")).to_be_visible()
    await page.get_by_label("Where (latitude, longitude)").fill("45.7700, 4.8400")
    await page.get_by_role("button", name="Add zone").click()
    await expect(zones.get_by_text("Work")).to_be_visible()
    await expect(zones.get_by_text(re.compile(r"200 m around 45\.77000, 4\.84000"))).to_be_visible()
    await page.evaluate("window.scrollTo(0, 0)")
    await check_accessibility(page, "privacy zones")
    await screenshot(page, "safety-zones")
    assert {z["name"] for z in (await ada.get("/v1/users/me/privacy-zones"))["zones"]} == {
        "Home",
        "Work",
    }

    await zones.get_by_role("button", name="Remove Work").click()
    await expect(zones.get_by_text("Work")).to_be_hidden()
    await ada.close()


async def test_a_filed_report_shows_it_is_being_reviewed(
    disco: Running, open_page: OpenPage
) -> None:
    ada = await account(disco, "Ada")
    eve = await account(disco, "Eve")
    await ada.post("/v1/safety/reports", {"userId": uid(eve), "reason": "harassment"})
    page = await signed_in_page(open_page, ada)
    await page.goto("/#/safety/reports")
    reports = page.get_by_role("list", name="Reports you filed")
    await expect(reports.get_by_text("Harassment")).to_be_visible()
    await expect(reports.get_by_text("In review")).to_be_visible()
    await check_accessibility(page, "reports")
    await screenshot(page, "safety-reports")
    for client in (ada, eve):
        await client.close()

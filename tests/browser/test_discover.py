"""The Discover screen in a real browser: two people, each on their own device with the
browser's geolocation, switch discovery on and are told about each other."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from disco.client import DiscoClient
from tests.browser.test_web_client import log_in
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running
from tests.support.poll import eventually
from tests.support.users import fresh_spot, matching_view, north_of

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)


SCRIPT_ERRORS: list[str] = []


@pytest.fixture
async def devices(browser: Browser) -> AsyncIterator[list[BrowserContext]]:
    """Browser contexts (devices) the test opens; any uncaught script error fails it."""
    contexts: list[BrowserContext] = []
    SCRIPT_ERRORS.clear()
    yield contexts
    for context in contexts:
        await context.close()
    assert not SCRIPT_ERRORS, SCRIPT_ERRORS


async def device_at(
    browser: Browser, disco: Running, devices: list[BrowserContext], spot: tuple[float, float]
) -> Page:
    context = await browser.new_context(
        base_url=disco.url,
        geolocation={"latitude": spot[0], "longitude": spot[1], "accuracy": 10},
        permissions=["geolocation"],
    )
    devices.append(context)
    page = await context.new_page()
    page.on("pageerror", lambda error: SCRIPT_ERRORS.append(str(error)))
    return page


async def someone(disco: Running, first: str) -> tuple[str, str]:
    """A user with a profile (email, id); interests are set on the screen itself."""
    email = unique_email(first.lower())
    async with DiscoClient(disco.url) as client:
        await client.signup(email, PASSWORD, first, "Near")
        await client.put("/v1/users/me/preferences", {"discoveryRadiusMeters": 500})
        assert client.user is not None
        return email, client.user["id"]


async def open_discover(page: Page, email: str, interests: str) -> None:
    await log_in(page, email)
    await expect(page.get_by_text("Signed in as")).to_be_visible()
    await page.get_by_role("link", name="Discover").click()
    field = page.get_by_label("Interests (comma separated)")
    await field.fill(interests)
    await page.get_by_role("button", name="Save interests").click()
    await expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    await expect(field).to_have_value(interests)


async def test_two_people_nearby_are_told_about_each_other(
    browser: Browser, disco: Running, devices: list[BrowserContext]
) -> None:
    spot = fresh_spot()
    (ada_email, ada_id), (bob_email, bob_id) = (
        await someone(disco, "Ada"),
        await someone(disco, "Bob"),
    )
    ada = await device_at(browser, disco, devices, spot)
    bob = await device_at(browser, disco, devices, north_of(spot, 120))
    await open_discover(ada, ada_email, "chess, jazz")
    await open_discover(bob, bob_email, "jazz, hiking")
    for user_id in (ada_id, bob_id):  # the interests travel to matching as an event

        async def projected(user_id: str = user_id) -> bool:
            member = await matching_view(disco, user_id)
            return member.candidate is not None and "jazz" in member.candidate.interests

        await eventually(projected, what="interests reaching matching")

    for page in (ada, bob):
        await expect(page.locator("#discovery-status")).to_contain_text("Discovery is off")
        await page.get_by_role("button", name="Turn discovery on").click()
        await expect(page.locator("#discovery-status")).to_contain_text("Discovery is on")

    told_ada = ada.get_by_role("list", name="Nearby notifications").get_by_role("listitem")
    told_bob = bob.get_by_role("list", name="Nearby notifications").get_by_role("listitem")
    # First names only; 120 m apart shows as the finest bucket or, displaced, the next one.
    near = r"is within (500 ft|¼ mile)"
    await expect(told_ada.first).to_contain_text(re.compile(f"Bob {near}"), timeout=30_000)
    await expect(told_ada.first).to_contain_text("shared: jazz")
    await expect(told_bob.first).to_contain_text(re.compile(f"Ada {near}"), timeout=30_000)
    people = ada.get_by_role("list", name="People near you")
    await expect(people).to_contain_text("Bob")
    # Only a bucket: no coordinate of the other person anywhere on the page.
    assert f"{spot[0]:.4f}" not in await ada.content()

    await bob.get_by_role("button", name="Turn discovery off").click()
    await expect(bob.locator("#discovery-status")).to_contain_text("Discovery is off")
    await ada.reload()
    await expect(ada.get_by_role("list", name="People near you")).to_contain_text(
        "Nobody near right now."
    )

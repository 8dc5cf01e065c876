"""The Discover area in a real browser: two people on two devices 200 m apart switch discovery
on, are told about each other, say hi, match; a location the server does not use says why;
local events are hosted, joined and left; the in-app notifications list what arrived."""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any

import pytest
from PIL import Image
from playwright.async_api import Locator, Page, expect

from disco.client import DiscoClient
from tests.browser.conftest import OpenPage, check_accessibility, screenshot
from tests.browser.people import account, signed_in_page
from tests.support.backends import Running
from tests.support.users import fresh_spot, north_of

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)

# 200 m apart shows as the finest bucket or, once each position is displaced, the next one.
NEAR = re.compile(r"within (500 ft|¼ mile)")
# Detection waits for both profiles to reach matching and for both first fixes.
SLOW = 45_000


async def person(disco: Running, name: str, interests: list[str]) -> DiscoClient:
    """Someone with interests and a discovery radius that reaches 200 m (set through the API:
    the profile screens are another part of the app)."""
    client = await account(disco, name, interests=interests)
    await client.put("/v1/users/me/preferences", {"discoveryRadiusMeters": 800})
    return client


async def device(
    open_page: OpenPage,
    client: DiscoClient,
    spot: tuple[float, float],
    accuracy: float = 10,
    **options: Any,
) -> Page:
    where = {"latitude": spot[0], "longitude": spot[1], "accuracy": accuracy}
    page = await signed_in_page(open_page, client, geolocation=where, **options)
    await page.goto("/#/discover")
    await expect(page.get_by_role("heading", name="Discover", level=1)).to_be_visible()
    return page


async def show_photo_to_people_nearby(client: DiscoClient) -> None:
    picture = Image.linear_gradient("L").resize((320, 320)).convert("RGB")
    out = io.BytesIO()
    picture.save(out, "JPEG")
    await client.post("/v1/users/me/photo", files={"photo": ("me.jpg", out.getvalue())})
    shown = {"lastName": False, "bio": False, "photo": True, "allInterests": False}
    everything = dict.fromkeys((*shown, "activities"), True)
    await client.patch(
        "/v1/users/me",
        {"visibility": {"nearby": {**shown, "activities": True}, "match": everything}},
    )


def switch(page: Page) -> Locator:
    return page.get_by_role("switch", name="Discovery")


def person_card(page: Page, name: str) -> Locator:
    people = page.get_by_role("list", name="People near you")
    return people.get_by_role("listitem").filter(has=page.get_by_role("heading", name=name))


def toast(page: Page, text: str | re.Pattern[str]) -> Locator:
    return page.locator(".toast").filter(has_text=text)


async def test_two_people_near_each_other_meet_and_match(
    disco: Running, open_page: OpenPage
) -> None:
    spot = fresh_spot()
    there = north_of(spot, 200)
    ada_client = await person(disco, "Ada", ["jazz", "chess"])
    bob_client = await person(disco, "Bob", ["jazz", "hiking"])
    await show_photo_to_people_nearby(bob_client)
    try:
        ada = await device(open_page, ada_client, spot)
        bob = await device(open_page, bob_client, there)

        await expect(switch(ada)).to_have_attribute("aria-checked", "false")
        await expect(ada.get_by_role("heading", name="Discovery is off")).to_be_visible()
        await check_accessibility(ada, "discover, off")
        await screenshot(ada, "discover-off")

        await ada.get_by_label("For 1 hour").check()
        await switch(ada).click()
        await switch(bob).click()
        await expect(switch(ada)).to_have_attribute("aria-checked", "true")
        await expect(switch(bob)).to_have_attribute("aria-checked", "true")
        await expect(ada.get_by_text(re.compile(r"^On until (tomorrow )?\d"))).to_be_visible()
        # The live notice, on each device, as soon as the other comes into range.
        await asyncio.gather(
            expect(toast(ada, re.compile(r"Bob is within"))).to_be_visible(timeout=SLOW),
            expect(toast(bob, re.compile(r"Ada is within"))).to_be_visible(timeout=SLOW),
        )

        for page, other in ((ada, "Bob"), (bob, "Ada")):
            card = person_card(page, other)
            await expect(card).to_contain_text(NEAR)
            await expect(
                card.get_by_role("list", name=re.compile("Interests you share"))
            ).to_contain_text("jazz")
            await expect(
                page.get_by_role("img", name=re.compile(r"1 person near you"))
            ).to_be_visible()
            # A bucket, never a coordinate: neither person's position is anywhere on the page.
            content = await page.content()
            for place in (spot, there):
                assert f"{place[0]:.4f}" not in content and f"{place[1]:.4f}" not in content
        await expect(ada.get_by_text("Sharing your location with Disco only")).to_be_visible()
        # Bob shows his photo to people nearby; Ada does not, so Bob sees her initial.
        await expect(person_card(ada, "Bob").locator("img.dsc-avatar")).to_be_visible()
        await expect(person_card(bob, "Ada").locator("img.dsc-avatar")).to_have_count(0)
        await check_accessibility(ada, "discover, someone near")
        await screenshot(ada, "discover-on")
        await person_card(ada, "Bob").evaluate("card => card.scrollIntoView({block: 'center'})")
        await screenshot(ada, "discover-people")

        await ada.get_by_role("button", name="Say hi to Bob").click()
        await expect(ada.get_by_text("Hi sent.")).to_be_visible()
        await expect(toast(bob, "Ada would like to connect.")).to_be_visible()
        requests = bob.get_by_role("region", name="Want to connect with you")
        await expect(requests).to_contain_text("Ada")
        await check_accessibility(bob, "discover, a request")
        await screenshot(bob, "discover-request")

        await requests.get_by_role("button", name="Accept Ada").click()
        # The match notice, which leads to the chat (or, before chat has opened it, the list).
        to_chat = re.compile(r"^#/(chat/[\w-]+|matches)$")
        await asyncio.gather(
            expect(toast(bob, "You and Ada can chat now")).to_be_visible(),
            expect(toast(ada, "You and Bob can chat now").get_by_role("link")).to_have_attribute(
                "href", to_chat
            ),
        )
        await expect(bob.get_by_role("link", name="Matched · Open chats")).to_be_visible()

        bell = bob.get_by_role("link", name=re.compile(r"^Notifications, \d+ unread$"))
        dismiss = bob.locator(".toast").get_by_role("button", name="Dismiss")
        while await dismiss.count():
            await dismiss.first.click()
        await expect(bob.locator(".toast")).to_have_count(0)
        await expect(bell).to_be_visible()
        await screenshot(bob, "discover-matched")
        await bell.click()
        notes = bob.get_by_role("list", name="Notifications")
        await expect(notes).to_contain_text("You matched with Ada")
        await expect(notes).to_contain_text("Ada would like to connect")
        await expect(notes).to_contain_text(re.compile(r"Ada is within"))
        await expect(bob.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
        await check_accessibility(bob, "notifications")
        await screenshot(bob, "notifications")
    finally:
        await ada_client.close()
        await bob_client.close()


async def test_a_location_not_used_says_why(disco: Running, open_page: OpenPage) -> None:
    client = await person(disco, "Cy", ["jazz"])
    try:
        # A fix accurate to 5 km: the server acknowledges it and does not use it. On the
        # narrowest phone the app supports.
        narrow = {"width": 360, "height": 740}
        page = await device(open_page, client, fresh_spot(), accuracy=5_000, viewport=narrow)
        await switch(page).click()
        notice = page.get_by_role("status").filter(has_text="Nobody can see you right now")
        await expect(notice).to_contain_text("too rough to use", timeout=SLOW)
        await expect(notice).to_contain_text("about 5000 m")
        await expect(page.get_by_text("Your location was not used")).to_be_visible()
        await expect(page.get_by_role("heading", name="Discovery is on")).to_be_visible()
        await expect(page.get_by_text("Nobody near right now")).to_have_count(0)
        await check_accessibility(page, "discover, location not used")
        await screenshot(page, "discover-refused")
    finally:
        await client.close()


async def test_a_blocked_location_permission_is_explained(
    disco: Running, open_page: OpenPage
) -> None:
    client = await person(disco, "Di", ["jazz"])
    try:
        page = await signed_in_page(open_page, client)  # no location permission granted
        await page.goto("/#/discover")
        await switch(page).click()
        await expect(page.get_by_role("alert")).to_contain_text(
            "Location access is blocked for Disco"
        )
        # Without a location nobody could find this person: discovery stays off.
        await expect(switch(page)).to_have_attribute("aria-checked", "false")
        await check_accessibility(page, "discover, location blocked")
        await screenshot(page, "discover-denied")
    finally:
        await client.close()


async def test_an_event_is_hosted_joined_and_left(disco: Running, open_page: OpenPage) -> None:
    spot = fresh_spot()
    ada_client = await person(disco, "Ada", ["jazz"])
    bob_client = await person(disco, "Bob", ["jazz"])
    try:
        ada = await device(open_page, ada_client, spot)
        await ada.get_by_role("link", name="Events", exact=True).click()
        await expect(ada.get_by_role("heading", name="Events nearby", level=1)).to_be_visible()
        await ada.get_by_role("link", name="New").click()
        await ada.get_by_label("What's happening").fill("Jazz on the terrace")
        await ada.get_by_label("Place name").fill("Rose Café, front terrace")
        await ada.get_by_label("Details (optional)").fill("Bring an instrument if you like.")
        await expect(ada.get_by_text("The event is placed where you are now")).to_be_visible()
        await check_accessibility(ada, "new event")
        await screenshot(ada, "events-new")
        await ada.get_by_role("button", name="Create event").click()
        mine = ada.get_by_role("list", name="Your events")
        await expect(mine).to_contain_text("Jazz on the terrace")
        await expect(mine).to_contain_text("You're hosting")

        bob = await signed_in_page(
            open_page,
            bob_client,
            geolocation={"latitude": north_of(spot, 200)[0], "longitude": spot[1]},
        )
        await bob.goto("/#/events")
        near = bob.get_by_role("list", name="Events near you")
        event = near.get_by_role("listitem").filter(has_text="Jazz on the terrace")
        await expect(event).to_contain_text("Rose Café, front terrace")
        await expect(event).to_contain_text("1 going")
        await check_accessibility(bob, "events")
        await event.get_by_role("button", name="Join Jazz on the terrace").click()
        joined = bob.get_by_role("list", name="Your events").get_by_role("listitem")
        await expect(joined).to_contain_text("You're going")
        await expect(joined).to_contain_text("2 going")
        await screenshot(bob, "events")
        await joined.get_by_role("button", name="Leave Jazz on the terrace").click()
        await expect(bob.get_by_role("list", name="Your events")).to_have_count(0)
        await expect(near.get_by_role("listitem").filter(has_text="Jazz")).to_contain_text(
            "1 going"
        )
    finally:
        await ada_client.close()
        await bob_client.close()

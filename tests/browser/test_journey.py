"""The whole of Disco for two people, each on their own phone, through the web app only.

Ada and Bob sign up and onboard 200 m apart, switch discovery on, are told about each other,
connect and match, write to each other end-to-end encrypted, and Ada plans a check-in and names
an emergency contact, who agrees from the mail's link; Ada raises an alert, her contact's mail
arrives with the live link, and the page it opens shows the alert. Each area's own tests go
deeper; this one proves the areas fit together for a person.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import Locator, Page, expect

from disco.client import DiscoClient
from tests.browser.conftest import OpenPage, check_accessibility, screenshot
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.users import fresh_spot, north_of

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)

SLOW = 45_000  # discovery, key set-up: generous on a shared machine, never a sleep
CONFIRM_LINK = re.compile(r"https?://\S+/#/contacts/confirm\?token=[A-Za-z0-9_\-]+")
LIVE_LINK = re.compile(r"https?://\S+/#/live/[A-Za-z0-9_\-]+")


async def sign_up_and_onboard(page: Page, first_name: str, email: str) -> None:
    """A newcomer's first minute: the sign-up form, then onboarding to "Discovery ready"."""
    await page.goto("/")
    await page.get_by_role("link", name="Create an account").click()
    await page.get_by_label("First name").fill(first_name)
    await page.get_by_label("Last name").fill("Tester")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()

    await expect(page.get_by_role("heading", name="What should people call you?")).to_be_visible()
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Add a photo")).to_be_visible()
    await page.get_by_role("link", name="Skip").click()
    await expect(page.get_by_role("heading", name="What are you into?")).to_be_visible()
    interest = page.get_by_role("combobox", name="Add an interest")
    for typed, tag in (("jaz", "jazz"), ("ches", "chess")):
        await interest.fill(typed)
        await page.get_by_role("option", name=tag).click()
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="How do you like to meet?")).to_be_visible()
    await page.get_by_role("button", name="Continue").click()
    radius = page.get_by_role("slider", name="Discovery radius")
    await radius.press("End")
    await expect(page.locator("output")).to_have_text("1 mile")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Discovery ready")).to_be_visible()
    await page.get_by_role("link", name="Go to Discover").click()
    await expect(page.get_by_role("heading", name="Discover", level=1)).to_be_visible()


def toast(page: Page, text: str | re.Pattern[str]) -> Locator:
    return page.locator(".toast").filter(has_text=text)


async def open_the_chat_with(page: Page, name: str) -> None:
    await page.get_by_role("link", name="Matches").click()
    await page.get_by_role("list", name="Your matches").get_by_role("link", name=name).click()
    await expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    await expect(page.get_by_role("textbox", name="Message")).to_be_visible(timeout=SLOW)


async def say(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    await box.fill(text)
    await page.get_by_role("button", name="Send").click()
    await expect(box).to_have_value("")


async def test_two_people_meet_match_chat_and_stay_safe_in_the_web_app(
    disco: Running, open_page: OpenPage, mailbox: Mailbox
) -> None:
    spot = fresh_spot()
    ada_email, bob_email = unique_email("ada"), unique_email("bob")
    ada = await open_page(geolocation={"latitude": spot[0], "longitude": spot[1]})
    there = north_of(spot, 200)
    bob = await open_page(geolocation={"latitude": there[0], "longitude": there[1]})

    # 1. Sign up and onboard, each on their own phone, at the same time.
    await asyncio.gather(
        sign_up_and_onboard(ada, "Ada", ada_email), sign_up_and_onboard(bob, "Bob", bob_email)
    )

    # 2. Discovery on: both are told about the other, with a distance bucket only.
    for page in (ada, bob):
        await page.get_by_role("switch", name="Discovery").click()
    await asyncio.gather(
        expect(toast(ada, re.compile(r"Bob is within"))).to_be_visible(timeout=SLOW),
        expect(toast(bob, re.compile(r"Ada is within"))).to_be_visible(timeout=SLOW),
    )
    await screenshot(ada, "journey-nearby")

    # 3. Ada says hi, Bob accepts: a match on both phones.
    await ada.get_by_role("button", name="Say hi to Bob").click()
    requests = bob.get_by_role("region", name="Want to connect with you")
    await requests.get_by_role("button", name="Accept Ada").click()
    await asyncio.gather(
        expect(toast(ada, "You and Bob can chat now")).to_be_visible(timeout=SLOW),
        expect(toast(bob, "You and Ada can chat now")).to_be_visible(timeout=SLOW),
    )

    # 4. End-to-end encrypted messages, both ways, live.
    await asyncio.gather(open_the_chat_with(ada, "Bob"), open_the_chat_with(bob, "Ada"))
    await say(ada, "Hi Bob! Coffee at the corner place?")
    await expect(bob.get_by_role("log")).to_contain_text(
        "Hi Bob! Coffee at the corner place?", timeout=SLOW
    )
    await say(bob, "Gladly, see you at four.")
    await expect(ada.get_by_role("log")).to_contain_text("Gladly, see you at four.", timeout=SLOW)
    await check_accessibility(ada, "journey: chat")
    await screenshot(ada, "journey-chat")

    # 5. Ada names her mother as emergency contact; the mother agrees from the mail's link.
    mum = unique_email("mum")
    await ada.goto("/#/safety/contacts")
    await ada.get_by_label("Name").fill("Mum")
    await ada.get_by_label("Email").fill(mum)
    await ada.get_by_role("button", name="Add contact").click()
    (invitation,) = await mailbox.wait_for(mum)
    found = CONFIRM_LINK.search(invitation.body)
    assert found, invitation.body
    mother = await open_page()
    await mother.goto(found.group(0))
    await mother.get_by_role("button", name="Yes, I'll be their contact").click()
    await expect(mother.get_by_role("status")).to_contain_text("you are now an emergency contact")
    await check_accessibility(mother, "contact confirmation")
    await screenshot(mother, "journey-contact-confirmed")
    async with DiscoClient(disco.url) as ada_api:
        # Safety learns of the confirmation from an event; an alert raised before it arrives
        # would miss her, so the test waits for it as the alert screen's contact list does.
        await ada_api.login(ada_email, PASSWORD)

        async def safety_knows_mum() -> bool:
            return len((await ada_api.get("/v1/safety/contacts"))["contacts"]) == 1

        await eventually(safety_knows_mum, what="safety to know the confirmed contact")

    # 6. A check-in for the meetup with Bob.
    await ada.goto("/#/safety/checkins")
    await expect(ada.get_by_label("Who you are meeting").locator("option:checked")).to_have_text(
        "Bob"
    )
    await ada.get_by_role("button", name="Plan check-in").click()
    await expect(ada.get_by_role("heading", name="Meeting Bob")).to_be_visible()

    # 7. The SOS button, held: the alert goes, the mother's mail brings the live page.
    await ada.get_by_role("button", name=re.compile(r"^SOS emergency")).hover()
    await ada.mouse.down()
    await expect(ada.get_by_role("heading", name="Alert active")).to_be_visible()
    await ada.mouse.up()
    await expect(ada.get_by_text("Your emergency contacts have been told")).to_be_visible()
    alert_mail = (await mailbox.wait_for(mum, 2))[1]
    found = LIVE_LINK.search(alert_mail.body)
    assert found, alert_mail.body
    await mother.goto(found.group(0))
    await expect(mother.get_by_role("heading", name="Ada needs help")).to_be_visible()
    await expect(mother.get_by_text("Alert active")).to_be_visible()
    await expect(mother.get_by_role("img", name=re.compile("Ada's path"))).to_be_visible()
    await screenshot(mother, "journey-live-view")

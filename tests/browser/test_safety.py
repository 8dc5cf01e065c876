"""The emergency button in a real browser: held, it raises an alert that reaches the contact's
mail; the mail's link opens the live page without an account and follows the alert to its end.
A tap only starts a countdown that can be cancelled."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Route, expect

from tests.browser.conftest import OpenPage, check_accessibility, screenshot
from tests.browser.people import account, signed_in_page
from tests.support.backends import Running
from tests.support.mailbox import Mailbox
from tests.support.safety import with_contacts

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)

LYON = {"latitude": 45.7642, "longitude": 4.8357}
# About 250 m north-east: where Ada walks while the alert is on.
FURTHER = {"latitude": 45.7660, "longitude": 4.8380}
LIVE_LINK = re.compile(r"https?://\S+/#/live/[A-Za-z0-9_\-]+")


async def test_a_held_sos_reaches_the_contact_whose_live_page_follows_it_to_the_end(
    disco: Running, mailbox: Mailbox, open_page: OpenPage
) -> None:
    ada, (contact,) = await with_contacts(disco.url, mailbox, "Ada", count=1, phones=False)
    await ada.put("/v1/safety/pin", {"pin": "2468"})
    page = await signed_in_page(open_page, ada, geolocation=LYON)
    await page.goto("/#/safety")
    await expect(page.get_by_role("heading", name="Safety", level=1)).to_be_visible()
    await expect(page.get_by_text("1 confirmed")).to_be_visible()
    # Not a moderator: no way into moderation.
    await expect(page.get_by_role("link", name=re.compile("Moderation"))).to_have_count(0)
    await check_accessibility(page, "safety hub")
    await screenshot(page, "safety-hub")

    await page.get_by_role("link", name=re.compile("Emergency contacts")).click()
    await expect(page.get_by_text("✓ Confirmed")).to_be_visible()
    await expect(page.get_by_text(contact.email)).to_be_visible()
    await check_accessibility(page, "emergency contacts")
    await screenshot(page, "safety-contacts")

    # Held down: the ring fills, and after two seconds the alert goes.
    await page.get_by_role("button", name=re.compile(r"^SOS emergency")).hover()
    await page.mouse.down()
    await expect(page.get_by_role("status").filter(has_text="Keep holding")).to_be_visible()
    await expect(page.get_by_role("heading", name="Alert active")).to_be_visible()
    await page.mouse.up()
    await expect(page.get_by_text("Your emergency contacts have been told")).to_be_visible()
    await expect(page.get_by_text(contact.name)).to_be_visible()
    await expect(page.get_by_text("Last sent at")).to_be_visible()
    await check_accessibility(page, "alert")
    await screenshot(page, "safety-alert")

    mail = (await mailbox.wait_for(contact.email, 2))[1]  # after the confirmation link
    assert "Ada" in mail.subject
    found = LIVE_LINK.search(mail.body)
    assert found, mail.body
    link = found.group(0)
    assert link.startswith(f"{disco.url}/#/live/")

    # The contact, on their own device, with no account.
    viewer = await open_page()
    await viewer.goto(link)
    await expect(viewer.get_by_role("heading", name="Ada needs help")).to_be_visible()
    await expect(viewer.get_by_text("Alert active")).to_be_visible()
    await expect(viewer.get_by_text("45.76420, 4.83570")).to_be_visible()
    await expect(viewer.get_by_role("img", name=re.compile("Ada's path"))).to_be_visible()

    # Ada moves: the phone sends the new position and the live page follows by itself.
    await page.context.set_geolocation(FURTHER)
    await expect(viewer.get_by_text("45.76600, 4.83800")).to_be_visible()
    await expect(viewer.get_by_role("img", name=re.compile("2 positions"))).to_be_visible()
    await check_accessibility(viewer, "live view")
    await screenshot(viewer, "safety-live")

    await page.get_by_label("Your safety PIN").fill("2468")
    await page.get_by_role("button", name="End alert").click()
    await expect(page.get_by_role("heading", name="Alert ended")).to_be_visible()
    await check_accessibility(page, "alert ended")
    await screenshot(page, "safety-alert-ended")

    await expect(viewer.get_by_role("heading", name="Ada is safe")).to_be_visible()
    await expect(viewer.get_by_text("Resolved", exact=True)).to_be_visible()
    await check_accessibility(viewer, "live view resolved")
    await screenshot(viewer, "safety-live-resolved")
    await ada.close()


async def test_an_sos_whose_answer_is_lost_is_sent_again_as_the_same_alert(
    disco: Running, mailbox: Mailbox, open_page: OpenPage, page_watch: object
) -> None:
    """The phone loses the answer to its SOS (a tunnel, a dropped connection): it sends it again
    by itself, with the same Idempotency-Key, and there is one alert, not two."""
    ada, (contact,) = await with_contacts(disco.url, mailbox, "Ada", count=1, phones=False)
    page = await signed_in_page(open_page, ada, geolocation=LYON)
    keys: list[str | None] = []

    async def answer_lost_once(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            await route.fetch()  # the server raises it...
            await route.abort("connectionreset")  # ...and its answer never reaches the phone
        else:
            await route.continue_()

    await page.route("**/v1/safety/alerts", answer_lost_once)
    page_watch.expect_problem(r"request failed: POST .*/v1/safety/alerts ")  # type: ignore[attr-defined]
    await page.goto("/#/safety")
    await page.get_by_role("button", name=re.compile(r"^SOS emergency")).hover()
    await page.mouse.down()
    await expect(page.get_by_role("heading", name="Alert active")).to_be_visible()
    await page.mouse.up()
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1], keys
    (alert,) = (await ada.get("/v1/safety/alerts"))["alerts"]
    assert alert["status"] == "ACTIVE"
    mails = await mailbox.wait_for(contact.email, 2)  # the confirmation link, then the alert
    assert "Ada" in mails[1].subject
    await ada.close()


async def test_a_wrong_pin_is_refused_and_the_alert_stays(
    disco: Running, mailbox: Mailbox, open_page: OpenPage, page_watch: object
) -> None:
    ada, _ = await with_contacts(disco.url, mailbox, "Ada", count=1, phones=False)
    await ada.put("/v1/safety/pin", {"pin": "2468"})
    page = await signed_in_page(open_page, ada, geolocation=LYON)
    await page.goto("/#/safety")
    await page.get_by_role("button", name=re.compile(r"^SOS emergency")).hover()
    await page.mouse.down()
    await expect(page.get_by_role("heading", name="Alert active")).to_be_visible()
    await page.mouse.up()

    page_watch.expect_problem(r"HTTP 403: POST .*/cancel")  # type: ignore[attr-defined]
    await page.get_by_label("Your safety PIN").fill("1111")
    await page.get_by_role("button", name="End alert").click()
    await expect(page.get_by_role("alert").filter(has_text="not right")).to_be_visible()
    await expect(page.get_by_role("heading", name="Alert active")).to_be_visible()
    (alert,) = (await ada.get("/v1/safety/alerts"))["alerts"]
    assert alert["status"] == "ACTIVE"
    await page.get_by_label("Your safety PIN").fill("2468")
    await page.get_by_role("button", name="End alert").click()
    await expect(page.get_by_role("heading", name="Alert ended")).to_be_visible()
    await ada.close()


async def test_a_tap_only_starts_a_countdown_that_can_be_cancelled(
    disco: Running, open_page: OpenPage
) -> None:
    ada = await account(disco, "Ada")
    page = await signed_in_page(open_page, ada, geolocation=LYON)
    await page.goto("/#/safety")
    await expect(page.get_by_role("heading", name="Safety", level=1)).to_be_visible()
    sos = page.get_by_role("button", name=re.compile(r"^SOS emergency"))

    await sos.click()
    countdown = page.get_by_role("alertdialog", name="Sending an emergency alert")
    await expect(countdown).to_be_visible()
    # Cancelled at once (five seconds is long enough for one click, even on a busy machine).
    await countdown.get_by_role("button", name="Cancel, I'm fine").click()
    await expect(countdown).to_be_hidden()

    # From the keyboard: a press starts the countdown too, and Escape cancels it.
    await sos.focus()
    await page.keyboard.press("Enter")
    await expect(countdown).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(countdown).to_be_hidden()
    await expect(sos).to_be_focused()  # back on the button, not carried off to an alert

    await expect(page).to_have_url(re.compile(r"#/safety$"))
    assert (await ada.get("/v1/safety/alerts"))["alerts"] == []
    await ada.close()


async def test_the_duress_pin_ends_the_alert_on_the_phone_only(
    disco: Running, mailbox: Mailbox, open_page: OpenPage
) -> None:
    ada, (contact,) = await with_contacts(disco.url, mailbox, "Ada", count=1, phones=False)
    await ada.put("/v1/safety/pin", {"pin": "2468", "duressPin": "1357"})
    page = await signed_in_page(open_page, ada, geolocation=LYON)
    await page.goto("/#/safety")
    # A tap, and the countdown is left to run out: the alert goes by itself.
    await page.get_by_role("button", name=re.compile(r"^SOS emergency")).click()
    countdown = page.get_by_role("alertdialog", name="Sending an emergency alert")
    await expect(countdown).to_be_visible()
    await expect(countdown.get_by_role("button", name="Cancel, I'm fine")).to_be_focused()
    await screenshot(page, "safety-sos-countdown")
    await check_accessibility(page, "SOS countdown")
    await expect(page.get_by_role("heading", name="Alert active")).to_be_visible()

    await page.get_by_label("Your safety PIN").fill("1357")
    await page.get_by_role("button", name="End alert").click()
    # Exactly what the real PIN shows.
    await expect(page.get_by_role("heading", name="Alert ended")).to_be_visible()
    await expect(page.get_by_text("We have let your emergency contacts know.")).to_be_visible()

    mail = (await mailbox.wait_for(contact.email, 2))[1]
    found = LIVE_LINK.search(mail.body)
    assert found, mail.body
    viewer = await open_page(viewport={"width": 360, "height": 780})  # a small phone
    await viewer.goto(found.group(0))
    await expect(viewer.get_by_role("heading", name="Ada needs help")).to_be_visible()
    await expect(viewer.get_by_text("Ada may have been forced to end this alert.")).to_be_visible()
    await check_accessibility(viewer, "live view under duress")
    await screenshot(viewer, "safety-live-duress")
    await ada.close()

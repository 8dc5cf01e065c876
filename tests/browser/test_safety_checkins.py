"""Meetup check-ins in a real browser: planned with a match and a suggested public place, the
meetup's heartbeat, "I'm safe", then the rating."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import expect

from disco.runtime import System
from disco.safety.spots.repository import SpotsRepository
from disco.safety.spots.venues import read_venues
from tests.browser.conftest import OpenPage, check_accessibility, screenshot
from tests.browser.people import account, signed_in_page
from tests.support.backends import Running
from tests.support.safety import matched

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)

LYON = {"latitude": 45.7642, "longitude": 4.8357}  # by the sample venues
SAMPLE = Path(__file__).parents[2] / "src/disco/safety/data/venues-sample.geojson"


async def with_sample_venues(system: System) -> None:
    """The sample city's public places, stored as ``disco venues import`` stores them (an
    upsert: running it again changes nothing)."""
    async with system.apps["safety"].state.db.unit_of_work("test.venues") as uow:
        await SpotsRepository(uow).upsert_venues(read_venues(SAMPLE), datetime.now(UTC))


async def test_a_check_in_with_a_match_is_planned_kept_alive_and_confirmed(
    disco: Running, open_page: OpenPage
) -> None:
    await with_sample_venues(disco.system)
    ada = await account(disco, "Ada")
    bo = await account(disco, "Bo")
    match_id = await matched(disco.system, ada, bo)
    page = await signed_in_page(open_page, ada, geolocation=LYON)
    await page.goto("/#/safety/checkins")
    await expect(page.get_by_role("heading", name="Meetup check-ins")).to_be_visible()
    who = page.get_by_label("Who you are meeting")
    await expect(who).to_have_value(match_id)
    await expect(who.locator("option:checked")).to_have_text("Bo")

    await page.get_by_role("button", name="Suggest public places to meet").click()
    suggestions = page.get_by_role("list", name="Suggested places")
    await expect(suggestions.get_by_role("button").first).to_be_visible()
    await suggestions.get_by_role("button", name=re.compile("Café des Lanternes")).click()
    await expect(page.get_by_label("Where (optional)")).to_have_value("Café des Lanternes")
    await check_accessibility(page, "plan a check-in")
    await screenshot(page, "safety-checkin-plan")

    await page.get_by_role("button", name="Plan check-in").click()
    await expect(page.get_by_role("heading", name="Meeting Bo")).to_be_visible()
    await expect(page.get_by_text("Café des Lanternes")).to_be_visible()
    (planned,) = (await ada.get("/v1/safety/checkins"))["checkins"]
    assert planned["matchId"] == match_id and planned["status"] == "ACTIVE"

    # The meetup under way: the phone checks in, and the server hears it.
    await page.get_by_text("Meetup under way", exact=True).click()
    await expect(page.get_by_role("switch")).to_be_checked()
    await expect(page.get_by_text(re.compile(r"^Checked in at"))).to_be_visible()
    (beating,) = (await ada.get("/v1/safety/checkins"))["checkins"]
    assert beating["lastHeartbeatAt"] is not None
    await check_accessibility(page, "check-in")
    await screenshot(page, "safety-checkin")

    await page.get_by_role("button", name="I'm safe").click()
    await expect(page.get_by_text("You checked in safe")).to_be_visible()
    (confirmed,) = (await ada.get("/v1/safety/checkins"))["checkins"]
    assert confirmed["status"] == "CONFIRMED"

    await expect(
        page.get_by_role("heading", name="How did your meetup with Bo go?")
    ).to_be_visible()
    await page.get_by_role("radio", name="5 stars: Great").check()
    await page.get_by_role("button", name="Send rating").click()
    await expect(page.get_by_text("Thank you.")).to_be_visible()
    await check_accessibility(page, "rated check-in")
    await screenshot(page, "safety-checkin-done")
    for client in (ada, bo):
        await client.close()

"""The app's frame in a real browser: the start screen, unknown paths, the API docs offline."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Route, expect

from tests.browser.conftest import OpenPage, check_accessibility, screenshot

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)


async def test_a_newcomer_lands_on_the_welcome_screen(open_page: OpenPage) -> None:
    page = await open_page()
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"#/welcome$"))
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await check_accessibility(page, "welcome")
    await screenshot(page, "welcome")


async def test_an_unknown_path_says_so_and_leads_back(open_page: OpenPage) -> None:
    page = await open_page()
    await page.goto("/#/no-such-screen")
    await expect(page.get_by_role("heading", name="Nothing here")).to_be_visible()
    await page.get_by_role("link", name="Go to the start").click()
    await expect(page).to_have_url(re.compile(r"#/welcome$"))


async def test_the_api_docs_render_with_nothing_from_the_internet(open_page: OpenPage) -> None:
    page = await open_page(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    async def refuse(route: Route) -> None:
        outside.append(route.request.url)
        await route.abort()

    await page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), refuse)
    await page.goto("/docs")
    await expect(page.get_by_role("heading", name=re.compile(r"^Disco"))).to_be_visible()
    await expect(page.get_by_text("/v1/auth/signup").first).to_be_visible()
    assert outside == []

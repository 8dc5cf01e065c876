"""Headless Chromium (Debian's, never a downloaded one) and pages on the running Disco."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.support.backends import Running

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

OpenPage = Callable[[], Awaitable[Page]]

# The machine is shared and argon2 is slow on purpose: wait generously, never sleep.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        await browser.close()


@pytest.fixture
async def open_page(browser: Browser, disco: Running) -> AsyncIterator[OpenPage]:
    """Opens a page in a fresh browser context (its own sessionStorage: another device).

    Any uncaught script error on any page fails the test.
    """
    contexts = []
    script_errors: list[str] = []

    async def open_() -> Page:
        context = await browser.new_context(base_url=disco.url)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        return page

    yield open_
    for context in contexts:
        await context.close()
    assert not script_errors, script_errors

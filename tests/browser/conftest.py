"""Headless Chromium (Debian's, never a downloaded one) and pages on the running Disco.

Every page opens at phone size in a fresh context (its own storage: another device). A test
fails on any script error, console error or failed request it did not announce with
``page_watch.expect_problem(...)``; ``check_accessibility`` runs axe-core and fails on serious
or critical violations; ``screenshot`` writes a PNG under ``tests/browser/artifacts/``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, async_playwright, expect

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
PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"


OpenPage = Callable[..., Awaitable[Page]]

# The machine is shared and argon2 is slow on purpose: wait generously, never sleep.
expect.set_options(timeout=20_000)


class PageWatch:
    """What went wrong in the test's pages: script errors, console errors, failed requests.

    A test that causes a failure on purpose (a wrong password's 401, say) announces it with a
    pattern; each announced problem is forgiven once per match.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.expected: list[re.Pattern[str]] = []

    def expect_problem(self, pattern: str) -> None:
        self.expected.append(re.compile(pattern))

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", self._console)
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} ({message.location.get('url')})")

    def _failed(self, request: Request) -> None:
        failure = request.failure or ""
        # A page left while its fetch or socket was still open cancels it: not a failure.
        if "ERR_ABORTED" not in failure:
            self.problems.append(f"request failed: {request.method} {request.url} {failure}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            request = response.request
            self.problems.append(f"HTTP {response.status}: {request.method} {response.url}")

    def unexpected(self) -> list[str]:
        left = []
        for problem in self.problems:
            # The browser also logs every 4xx/5xx response to the console: one cause, two lines.
            if problem.startswith("console error: Failed to load resource"):
                continue
            if not any(pattern.search(problem) for pattern in self.expected):
                left.append(problem)
        return left


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        await browser.close()


@pytest.fixture
def page_watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
async def open_page(
    browser: Browser, disco: Running, page_watch: PageWatch
) -> AsyncIterator[OpenPage]:
    """Opens a page in a fresh browser context at phone size (another device).

    ``open_page(geolocation={"latitude": ..., "longitude": ...})`` grants the page a position;
    ``viewport=`` another size.
    """
    contexts = []

    async def open_(
        geolocation: dict[str, float] | None = None, viewport: dict[str, int] | None = None
    ) -> Page:
        context = await browser.new_context(
            base_url=disco.url,
            viewport=viewport or PHONE,
            device_scale_factor=1,
            geolocation=geolocation,
            permissions=["geolocation"] if geolocation else [],
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = await context.new_page()
        page_watch.watch(page)
        return page

    yield open_
    for context in contexts:
        await context.close()
    problems = page_watch.unexpected()
    assert not problems, "\n".join(problems)


@functools.cache
def _axe_source() -> str:
    return AXE.read_text()


async def check_accessibility(page: Page, screen: str) -> None:
    """axe-core on the page as it is now: no serious or critical violation (WCAG 2.2 AA)."""
    # Through the DevTools protocol, which the page's Content-Security-Policy does not govern
    # (a script tag would be refused, as it should be).
    await page.evaluate(_axe_source())
    result = await page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                "wcag22aa", "best-practice"]},
            });
            return result.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                              nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
        }"""
    )
    assert not result, f"accessibility violations on {screen}: {result}"


async def screenshot(page: Page, name: str) -> Path:
    """A phone-size picture of the page for the README and for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=False)
    return path

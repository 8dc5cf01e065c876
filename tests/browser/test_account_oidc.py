"""Sign-in with an OpenID provider from the web app: the provider's button on the sign-in
screen, the provider's own pages, and the way back into the app, signed in."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.browser.conftest import OpenPage, PageWatch, check_accessibility, screenshot
from tests.support.backends import Running, backend_settings, serve
from tests.support.net import free_port
from tests.support.oidc_provider import local_oidc_provider

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)

PROVIDER = "local"


@pytest.fixture(scope="module")
async def disco(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    """This module's Disco knows one provider (panva/node-oidc-provider on localhost), which
    sends browsers back to the web app's return address."""
    data_dir: Path = tmp_path_factory.mktemp("oidc-web")
    port = free_port()
    client_id, client_secret = "disco-web-test", secrets.token_urlsafe(24)
    providers = {
        PROVIDER: {
            "issuer": f"http://127.0.0.1:{port}",
            "client_id": client_id,
            "client_secret": client_secret,
        }
    }
    async with backend_settings(backend, data_dir, oidc_providers=providers) as settings:
        async with serve(settings) as running:
            async with local_oidc_provider(
                port,
                client_id=client_id,
                client_secret=client_secret,
                redirect_uris=[f"{running.url}/?oauth={PROVIDER}"],
                log_file=data_dir / "oidc-provider.log",
            ):
                yield running


async def test_a_person_signs_in_with_the_provider_and_lands_in_the_app(
    open_page: OpenPage, page_watch: PageWatch
) -> None:
    # The test provider's development pages (not Disco's) ask Google for a font.
    page_watch.expect_problem(r"fonts\.googleapis\.com")
    page = await open_page()
    await page.goto("/#/login")
    button = page.get_by_role("link", name="Continue with Local")
    await expect(button).to_be_visible()
    await check_accessibility(page, "sign-in with a provider")
    await screenshot(page, "account-login-providers")

    await button.click()
    # The provider's own pages (its development login and consent forms).
    await page.locator("input[name=login]").fill(f"web-{secrets.token_hex(4)}@example.com")
    await page.locator("input[name=password]").fill("any password will do")
    await page.locator("button[type=submit]").click()
    await page.locator("button[type=submit]").click()  # consent

    await expect(page.get_by_role("heading", name="Discover", level=1)).to_be_visible()
    assert "code=" not in page.url and "state=" not in page.url
    await page.get_by_role("link", name="Me").click()
    await expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()


async def test_a_used_return_address_says_so(open_page: OpenPage, page_watch: PageWatch) -> None:
    page_watch.expect_problem(r"HTTP 422: GET .*/v1/auth/oauth/local/callback")
    page = await open_page()
    await page.goto(f"/?oauth={PROVIDER}&code=spent&state=spent")
    await expect(page.get_by_role("alert")).to_be_visible()
    await expect(page.get_by_role("link", name="Back to sign-in")).to_be_visible()

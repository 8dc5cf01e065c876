"""The web client in a real browser against a running Disco (embedded backend)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.async_api import Locator, Page, expect

from disco.client import DiscoClient
from tests.browser.conftest import OpenPage
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running
from tests.support.mailbox import Mailbox

# What the client shows is the same on every backend; the contract suites cover the rest.
pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)

ARTIFACTS = Path(__file__).parent / "artifacts"


async def sign_up(page: Page, email: str, first: str = "Ada", last: str = "Lovelace") -> None:
    await page.goto("/#/signup")
    await page.get_by_label("First name").fill(first)
    await page.get_by_label("Last name").fill(last)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_text("Signed in as")).to_have_text(f"Signed in as {first} {last}")


async def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    await page.goto("/#/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


def live_state(page: Page) -> Locator:
    return page.locator(".state")


def frames(page: Page) -> Locator:
    return page.get_by_role("list", name="Incoming frames").get_by_role("listitem")


async def notifications_shown(page: Page) -> list[dict[str, Any]]:
    """The data of every ``notification`` frame in the page's frame list."""
    texts = await frames(page).filter(has_text="notification").locator("code").all_inner_texts()
    return [json.loads(text) for text in texts]


async def wait_for_sign_in_notice(page: Page, since: datetime, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        notices = await notifications_shown(page)
        if any(
            n.get("kind") == "new_sign_in" and datetime.fromisoformat(n["at"]) >= since
            for n in notices
        ):
            return
        assert asyncio.get_running_loop().time() < deadline, f"no new sign-in notice: {notices}"
        await asyncio.sleep(0.1)


def link_in(mail_body: str, route: str) -> str:
    match = re.search(rf"https?://\S+/#/{route}\?token=[A-Za-z0-9_\-]+", mail_body)
    assert match, f"no {route} link in {mail_body!r}"
    return match.group(0)


async def test_sign_up_shows_the_user_and_a_live_socket_that_answers_ping(
    open_page: OpenPage,
) -> None:
    page = await open_page()
    await sign_up(page, unique_email("web"), "Grace", "Hopper")

    await expect(page.get_by_text("Not verified yet")).to_be_visible()
    await expect(live_state(page)).to_have_text("Connected")
    await page.get_by_role("button", name="Ping").click()
    await expect(page.get_by_text(re.compile(r"Pong received"))).to_be_visible()
    await expect(frames(page).filter(has_text="pong")).to_have_count(1)


async def test_a_sign_in_elsewhere_arrives_as_a_notification_frame(open_page: OpenPage) -> None:
    email = unique_email("web")
    first = await open_page()
    await sign_up(first, email)
    await expect(live_state(first)).to_have_text("Connected")

    # The sign-up was a sign-in too; its notice may or may not beat the socket. Only a notice
    # of a sign-in after this moment is the second device's.
    second_sign_in = datetime.now(UTC)
    second = await open_page()  # another browser context: another device
    await log_in(second, email)
    await expect(second.get_by_text("Signed in as")).to_contain_text("Ada Lovelace")

    await wait_for_sign_in_notice(first, since=second_sign_in)

    ARTIFACTS.mkdir(exist_ok=True)
    await first.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)


async def test_logging_out_returns_to_sign_in_and_forgets_the_tokens(
    open_page: OpenPage, disco: Running
) -> None:
    page = await open_page()
    await sign_up(page, unique_email("web"))
    stored = json.loads(await page.evaluate("sessionStorage.getItem('disco.session')"))

    await page.get_by_role("button", name="Sign out").click()

    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert await page.evaluate("sessionStorage.length") == 0
    await expect(live_state(page)).to_have_count(0)
    # The server ended the session too: its refresh token no longer works.
    async with DiscoClient(disco.url) as anonymous:
        response = await anonymous.http.post(
            "/v1/auth/refresh", json={"refreshToken": stored["refreshToken"]}
        )
    assert response.status_code == 401
    await page.goto("/#/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_a_wrong_password_shows_the_servers_message(
    open_page: OpenPage, disco: Running
) -> None:
    email = unique_email("web")
    async with DiscoClient(disco.url) as client:
        await client.signup(email, PASSWORD, "Ada", "Lovelace")
    page = await open_page()

    await log_in(page, email, "not the right passphrase at all")

    await expect(page.get_by_role("alert")).to_have_text("The email or password is incorrect.")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_the_verification_link_from_the_mail_verifies_the_email(
    open_page: OpenPage, mailbox: Mailbox
) -> None:
    email = unique_email("web")
    page = await open_page()
    await sign_up(page, email)
    (mail,) = await mailbox.wait_for(email)

    await page.goto(link_in(mail.body, "verify-email"))

    await expect(page.get_by_text("Your email address is verified")).to_be_visible()
    assert "token" not in page.url  # the one-time code does not stay in the address bar
    await page.get_by_role("link", name="Continue to Disco").click()
    await expect(page.locator("#email-status")).to_have_text("Verified")


async def test_forgot_password_mail_leads_to_a_new_password(
    open_page: OpenPage, disco: Running, mailbox: Mailbox
) -> None:
    email = unique_email("web")
    async with DiscoClient(disco.url) as client:
        await client.signup(email, PASSWORD, "Ada", "Lovelace")
    await mailbox.wait_for(email)  # the verification mail comes first
    page = await open_page()
    await page.goto("/#/login")
    await page.get_by_role("link", name="Forgot your password?").click()
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("button", name="Send reset link").click()
    await expect(page.get_by_role("status")).to_contain_text("a reset link is on its way")
    mails = await mailbox.wait_for(email, count=2)

    await page.goto(link_in(mails[-1].body, "reset-password"))
    await page.get_by_label("New password").fill("another long and unusual passphrase")
    await page.get_by_role("button", name="Set password").click()
    await expect(page.get_by_text("Your password has been changed.")).to_be_visible()

    await log_in(page, email, "another long and unusual passphrase")
    await expect(page.get_by_text("Signed in as")).to_contain_text("Ada Lovelace")


async def test_an_expired_access_token_is_renewed_with_the_refresh_token(
    open_page: OpenPage,
) -> None:
    page = await open_page()
    await sign_up(page, unique_email("web"))
    before = json.loads(await page.evaluate("sessionStorage.getItem('disco.session')"))
    # What an expired token looks like to the server: one it no longer accepts.
    await page.evaluate(
        """() => {
          const state = JSON.parse(sessionStorage.getItem('disco.session'));
          state.token = 'expired.' + state.token;
          sessionStorage.setItem('disco.session', JSON.stringify(state));
        }"""
    )

    await page.reload()

    await expect(page.get_by_text("Signed in as")).to_contain_text("Ada Lovelace")
    await expect(live_state(page)).to_have_text("Connected")
    after = json.loads(await page.evaluate("sessionStorage.getItem('disco.session')"))
    assert after["refreshToken"] != before["refreshToken"]
    assert after["token"] != before["token"]


async def test_a_session_ended_elsewhere_signs_the_page_out(
    open_page: OpenPage, disco: Running
) -> None:
    page = await open_page()
    await sign_up(page, unique_email("web"))
    await expect(live_state(page)).to_have_text("Connected")
    stored = json.loads(await page.evaluate("sessionStorage.getItem('disco.session')"))
    async with DiscoClient(disco.url) as other:
        response = await other.http.post(
            "/v1/auth/logout", headers={"Authorization": f"Bearer {stored['token']}"}
        )
    assert response.status_code == 204

    # Reconnecting presents the revoked token: refused, the renewal fails too, and the page
    # says why it is back at the sign-in screen.
    await page.get_by_role("button", name="Disconnect").click()
    await page.get_by_role("button", name="Connect").click()

    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.get_by_role("status")).to_have_text(
        "Your session has ended. Please sign in again."
    )
    assert await page.evaluate("sessionStorage.length") == 0


async def test_two_factor_sign_in_asks_for_a_code(open_page: OpenPage, disco: Running) -> None:
    email = unique_email("web")
    async with DiscoClient(disco.url) as client:
        await client.signup(email, PASSWORD, "Ada", "Lovelace")
        setup = await client.post("/v1/auth/2fa/setup")
        enabled = await client.post(
            "/v1/auth/2fa/enable", {"code": pyotp.TOTP(setup["secret"]).now()}
        )
    page = await open_page()

    await log_in(page, email)
    code = page.get_by_label("Authentication code")
    await expect(code).to_be_focused()
    await code.fill("not-the-code")
    await page.get_by_role("button", name="Verify").click()
    await expect(page.get_by_role("alert")).to_contain_text("The code is not valid")
    # The code of this time step was spent enabling two-factor: a recovery code it is.
    await code.fill(enabled["recoveryCodes"][0])
    await page.get_by_role("button", name="Verify").click()

    await expect(page.get_by_text("Signed in as")).to_contain_text("Ada Lovelace")


async def test_the_browser_keeps_its_device_token_and_signs_in_with_it(
    open_page: OpenPage, disco: Running
) -> None:
    """A browser that signed in before is a known device: its next sign-in presents the
    device token, so strangers guessing the password never hold it up."""
    email = unique_email("web-device")
    page = await open_page()
    await sign_up(page, email)
    key = f"disco.device:{email}"
    kept = await page.evaluate(f"localStorage.getItem({json.dumps(key)})")
    assert kept
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    async with DiscoClient(disco.url) as stranger:
        for n in range(disco.system.settings.login_failures_per_account + 1):
            response = await stranger.request(
                "POST", "/v1/auth/login", json={"email": email, "password": f"guess {n}"}
            )
            assert response.status_code in (401, 429)
    async with page.expect_request("**/v1/auth/login") as sent:
        await log_in(page, email)
    assert json.loads((await sent.value).post_data or "{}")["deviceToken"] == kept
    await expect(page.get_by_text("Signed in as")).to_contain_text("Ada Lovelace")

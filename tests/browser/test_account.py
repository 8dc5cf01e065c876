"""Getting into Disco in a real browser: the welcome screen, sign-up through the form, the
verification mail's link, the first-run flow, sign-in (wrong password, two-factor, ``?next=``)
and a password reset through the mail."""

from __future__ import annotations

import io
import json
import re
import time

import pyotp
import pytest
from PIL import Image
from playwright.async_api import Page, expect

from disco.client import DiscoClient
from tests.browser.conftest import OpenPage, PageWatch, check_accessibility, screenshot
from tests.browser.people import account, signed_in_page
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running
from tests.support.mailbox import Mailbox

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)

LOGIN = r"HTTP 401: POST .*/v1/auth/login"


def link_in(mail_body: str, route: str) -> str:
    match = re.search(rf"https?://\S+/#/{route}\?token=[A-Za-z0-9_\-]+", mail_body)
    assert match, f"no {route} link in {mail_body!r}"
    return match.group(0)


def small_png() -> bytes:
    """A 64 px square picture, as a phone's camera roll would hand one over (smaller)."""
    image = Image.new("RGB", (64, 64), (124, 58, 237))
    for x in range(16, 48):
        for y in range(16, 48):
            image.putpixel((x, y), (250, 204, 21))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def test_a_newcomer_signs_up_verifies_and_onboards(
    open_page: OpenPage, mailbox: Mailbox
) -> None:
    email = unique_email("onboard")
    page = await open_page()
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Meet people nearby, safely")).to_be_visible()
    await check_accessibility(page, "welcome")
    await screenshot(page, "account-welcome")

    await page.get_by_role("link", name="Create an account").click()
    await expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    await check_accessibility(page, "sign-up")
    await screenshot(page, "account-signup")
    await page.get_by_label("First name").fill("Ada")
    await page.get_by_label("Last name").fill("Lovelace")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("heading", name="What should people call you?")).to_be_visible()
    await expect(page.get_by_text(f"We've emailed a link to {email}")).to_be_visible()

    # The verification mail's link, opened in the same tab (the session stays).
    (mail,) = await mailbox.wait_for(email)
    await page.goto(link_in(mail.body, "verify-email"))
    await expect(page.get_by_text("Your email address is verified")).to_be_visible()
    assert "token" not in page.url  # the one-time code does not stay in the address bar
    await check_accessibility(page, "verify email")
    await page.goto("/#/onboarding")

    # 1. name (the address is confirmed now: no more word about the mail)
    await expect(page.get_by_label("First name")).to_have_value("Ada")
    await expect(page.get_by_text("We've emailed a link")).to_have_count(0)
    await page.get_by_label("About you (optional)").fill("Mathematician. Coffee first.")
    await check_accessibility(page, "onboarding: name")
    await screenshot(page, "account-onboarding-name")
    await page.get_by_role("button", name="Continue").click()

    # 2. photo
    await expect(page.get_by_role("heading", name="Add a photo")).to_be_visible()
    await page.get_by_label("Choose a photo").set_input_files(
        files=[{"name": "ada.png", "mimeType": "image/png", "buffer": small_png()}]
    )
    await expect(page.get_by_role("status").filter(has_text="Photo saved.")).to_be_attached()
    await expect(page.get_by_role("img", name="Ada")).to_be_visible()
    await check_accessibility(page, "onboarding: photo")
    await screenshot(page, "account-onboarding-photo")
    await page.get_by_role("button", name="Continue").click()

    # 3. interests, from the taxonomy's suggestions
    await expect(page.get_by_role("heading", name="What are you into?")).to_be_visible()
    interest = page.get_by_role("combobox", name="Add an interest")
    await interest.fill("hik")
    await page.get_by_role("option", name="hiking").click()
    await interest.fill("socc")  # a synonym: suggests the curated "football"
    await expect(page.get_by_role("option", name="football")).to_be_visible()
    await interest.press("Enter")
    await interest.fill("jaz")
    await expect(page.get_by_role("option", name="jazz")).to_be_visible()
    await check_accessibility(page, "onboarding: interests (suggesting)")
    await interest.press("Enter")
    chosen = page.get_by_role("list", name="Your interests")
    for tag in ("hiking", "football", "jazz"):
        await expect(chosen.get_by_role("button", name=f"Remove {tag}")).to_be_visible()
    await expect(chosen.get_by_role("button")).to_have_count(3)
    await screenshot(page, "account-onboarding-interests")
    await page.get_by_role("button", name="Continue").click()

    # 4. mode and activities
    await expect(page.get_by_role("heading", name="How do you like to meet?")).to_be_visible()
    await page.get_by_role("button", name="Coffee").click()
    await page.get_by_role("button", name="Walk").click()
    await expect(page.get_by_role("button", name="Coffee")).to_have_attribute(
        "aria-pressed", "true"
    )
    await check_accessibility(page, "onboarding: activities")
    await screenshot(page, "account-onboarding-activities")
    await page.get_by_role("button", name="Continue").click()

    # 5. radius, 100 ft to a mile
    radius = page.get_by_role("slider", name="Discovery radius")
    await radius.press("Home")
    await expect(page.locator("output")).to_have_text("100 ft")
    for _ in range(8):
        await radius.press("ArrowRight")
    await expect(page.locator("output")).to_have_text("500 ft")
    await check_accessibility(page, "onboarding: radius")
    await screenshot(page, "account-onboarding-radius")
    await page.get_by_role("button", name="Continue").click()

    # 6. ready
    await expect(page.get_by_role("heading", name="Discovery ready")).to_be_visible()
    await expect(page.get_by_text("hiking, football, jazz")).to_be_visible()
    await expect(page.get_by_text("500 ft")).to_be_visible()
    await check_accessibility(page, "onboarding: ready")
    await screenshot(page, "account-onboarding-ready")
    await expect(page.get_by_role("link", name="Go to Discover")).to_have_attribute(
        "href", "#/discover"
    )

    # The profile shows what was chosen, photo included.
    await page.get_by_role("link", name="Review my profile").click()
    await expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    interests = page.get_by_role("list", name="Interests").get_by_role("listitem")
    await expect(interests).to_have_text(["hiking", "football", "jazz"])
    await expect(page.get_by_text("Up for: Coffee, Walk")).to_be_visible()
    await expect(page.get_by_text("Mathematician. Coffee first.")).to_be_visible()
    await expect(page.get_by_role("img", name="Ada")).to_be_visible()
    # Verified: no reminder to confirm the address.
    await expect(page.get_by_text("Please confirm your email address")).to_have_count(0)
    await check_accessibility(page, "me")
    await screenshot(page, "account-me")


async def test_a_wrong_password_is_said_once(
    open_page: OpenPage, disco: Running, page_watch: PageWatch
) -> None:
    client = await account(disco, "Grace")
    await client.close()
    assert client.user is not None
    page = await open_page()
    await page.goto("/#/login")
    await check_accessibility(page, "sign-in")
    await screenshot(page, "account-login")
    page_watch.expect_problem(LOGIN)

    await log_in(page, client.user["email"], "not the right passphrase at all")

    alert = page.get_by_role("alert")
    await expect(alert).to_have_text("The email or password is incorrect.")
    await expect(page.get_by_text("The email or password is incorrect.")).to_have_count(1)
    await expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    await check_accessibility(page, "sign-in with an error")
    await screenshot(page, "account-login-error")


async def test_a_weak_password_is_reported_once_beside_the_field(
    open_page: OpenPage, page_watch: PageWatch
) -> None:
    page = await open_page()
    await page.goto("/#/signup")
    page_watch.expect_problem(r"HTTP 422: POST .*/v1/auth/signup")
    await page.get_by_label("First name").fill("Ada")
    await page.get_by_label("Last name").fill("Lovelace")
    await page.get_by_label("Email").fill(unique_email("weak"))
    await page.get_by_label("Password").fill("password1")
    await page.get_by_role("button", name="Create account").click()

    said = page.get_by_text(re.compile("too common or too easy to guess"))
    await expect(said).to_have_count(1)
    password = page.get_by_label("Password")
    field = page.locator(".field").filter(has=password)
    await expect(field.get_by_text(re.compile("too common"))).to_be_visible()
    await expect(password).to_have_attribute("aria-invalid", "true")
    await expect(password).to_have_accessible_description(re.compile("too common"))
    await expect(page.get_by_role("alert")).to_have_count(0)  # not repeated for the form
    await check_accessibility(page, "sign-up with a weak password")
    await screenshot(page, "account-signup-weak-password")


async def test_sign_in_returns_to_where_the_person_was_headed(
    open_page: OpenPage, disco: Running
) -> None:
    client = await account(disco, "Hedy")
    await client.close()
    assert client.user is not None
    page = await open_page()
    await page.goto("/#/settings/privacy")
    await expect(page).to_have_url(re.compile(r"#/login\?next=%2Fsettings%2Fprivacy$"))
    await log_in(page, client.user["email"])
    await expect(page.get_by_role("heading", name="Privacy")).to_be_visible()
    await expect(page).to_have_url(re.compile(r"#/settings/privacy$"))


async def test_a_forgotten_password_is_reset_through_the_mail(
    open_page: OpenPage, disco: Running, mailbox: Mailbox
) -> None:
    client = await account(disco, "Ada")
    await client.close()
    assert client.user is not None
    email = client.user["email"]
    await mailbox.wait_for(email)  # the verification mail comes first
    page = await open_page()
    await page.goto("/#/login")
    await page.get_by_role("link", name="Forgot your password?").click()
    await check_accessibility(page, "forgot password")
    await screenshot(page, "account-forgot-password")
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("button", name="Send reset link").click()
    await expect(page.get_by_role("status")).to_contain_text("a reset link is on its way")
    mails = await mailbox.wait_for(email, count=2)

    await page.goto(link_in(mails[-1].body, "reset-password"))
    new_password = "another long and unusual passphrase"
    await page.get_by_label("New password").fill(new_password)
    await check_accessibility(page, "reset password")
    await screenshot(page, "account-reset-password")
    await page.get_by_role("button", name="Set password").click()
    await expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    assert "token" not in page.url

    await page.get_by_role("link", name="Sign in").click()
    await log_in(page, email, new_password)
    await expect(page).to_have_url(re.compile(r"#/discover$"))


async def test_two_factor_is_set_up_and_then_asked_for_at_sign_in(
    open_page: OpenPage, disco: Running
) -> None:
    client = await account(disco, "Ada")
    await client.close()
    assert client.user is not None
    page = await signed_in_page(open_page, client)
    await page.goto("/#/settings/security")
    await expect(page.get_by_text("Two-factor sign-in is off")).to_be_visible()
    await check_accessibility(page, "two-factor (off)")
    await screenshot(page, "account-settings-security")
    await page.get_by_role("button", name="Set up two-factor").click()

    qr = page.get_by_role("img", name="QR code to add Disco to your authenticator app")
    await expect(qr).to_be_visible()
    assert (await qr.get_attribute("src") or "").startswith("data:image/png")
    secret = await page.locator("code[data-secret]").get_attribute("data-secret")
    assert secret
    totp = pyotp.TOTP(secret)
    await check_accessibility(page, "two-factor set-up")
    await screenshot(page, "account-settings-security-qr")
    await page.get_by_label("6-digit code").fill(totp.now())
    await page.get_by_role("button", name="Turn on two-factor").click()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    await expect(codes.first).to_be_visible()
    assert await codes.count() >= 8
    await check_accessibility(page, "two-factor recovery codes")
    await screenshot(page, "account-settings-security-codes")
    await page.get_by_role("button", name="I've saved them").click()
    await expect(page.get_by_text("Two-factor sign-in is on")).to_be_visible()

    # Another device: the password, then a code. This time step's code was spent turning
    # two-factor on; the next step's is accepted (one step of drift either way).
    other = await open_page()
    await other.goto("/#/login")
    await log_in(other, client.user["email"])
    code = other.get_by_label("Authentication code")
    await expect(code).to_be_focused()
    await check_accessibility(other, "two-factor sign-in")
    await screenshot(other, "account-login-two-factor")
    await code.fill(totp.at(time.time() + 30))
    await other.get_by_role("button", name="Verify").click()
    await expect(other).to_have_url(re.compile(r"#/discover$"))


@pytest.mark.parametrize(
    "viewport", [{"width": 360, "height": 740}, {"width": 1280, "height": 800}], ids=str
)
async def test_the_way_in_fits_a_small_phone_and_a_desktop(
    open_page: OpenPage, viewport: dict[str, int]
) -> None:
    page = await open_page(viewport=viewport)
    for path, heading in (
        ("/#/welcome", "Meet people nearby, safely"),
        ("/#/signup", "Create your account"),
        ("/#/login", "Welcome back"),
    ):
        await page.goto(path)
        await expect(page.get_by_role("heading", name=heading)).to_be_visible()
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways at {viewport['width']} px"
    await page.goto("/#/welcome")
    await screenshot(page, f"account-welcome-{viewport['width']}")


async def test_the_browser_signs_in_with_its_device_token(
    open_page: OpenPage, disco: Running
) -> None:
    """A browser that signed in before is a known device: its next sign-in presents the
    device token, so strangers guessing the password never hold it up."""
    email = unique_email("device")
    page = await open_page()
    await page.goto("/#/signup")
    await page.get_by_label("First name").fill("Ada")
    await page.get_by_label("Last name").fill("Lovelace")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("heading", name="What should people call you?")).to_be_visible()
    kept = await page.evaluate(f"localStorage.getItem({json.dumps(f'disco.device:{email}')})")
    assert kept
    await page.goto("/#/me")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Meet people nearby, safely")).to_be_visible()

    async with DiscoClient(disco.url) as stranger:
        for n in range(disco.system.settings.login_failures_per_account + 1):
            response = await stranger.request(
                "POST", "/v1/auth/login", json={"email": email, "password": f"guess {n}"}
            )
            assert response.status_code in (401, 429)
    await page.get_by_role("link", name="Sign in").click()
    async with page.expect_request("**/v1/auth/login") as sent:
        await log_in(page, email)
    assert json.loads((await sent.value).post_data or "{}")["deviceToken"] == kept
    await expect(page).to_have_url(re.compile(r"#/discover$"))

"""The web client under attack, black-box in a real browser: an outsider (another site that
frames the app, a link with a hostile `next`) and a malicious other person (markup and script in
every field they control, a chat attachment that claims to be a web page). Each test proves a
defence holds: payloads render as text and never run, tokens stay out of URLs and off other
origins, one-time codes leave the address bar, and the app refuses to be framed."""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, expect

from tests.browser.conftest import OpenPage, PageWatch
from tests.browser.people import account, signed_in_page
from tests.browser.test_chat import open_chat, say, thread
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running
from tests.support.chat import chatting
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.safety import moderator, uid, with_contacts
from tests.support.users import fresh_spot

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)

# Each sets a sentinel if it ever runs (the CSP would also refuse inline script: the tests check
# that the markup is shown as text, so they do not lean on that second line of defence).
IMG = "<img src=x onerror=window.__pwned=1>"
SVG = '"><svg onload=window.__pwned=1>'
JS_URL = "javascript:window.__pwned=1"
PAYLOADS = (IMG, SVG, JS_URL)


async def armed(page: Page) -> Page:
    """A page that counts any dialog a payload might open."""
    await page.add_init_script(
        "window.__dialogs = 0;"
        "window.alert = window.confirm = window.prompt = () => { window.__dialogs++; };"
    )
    return page


async def assert_unharmed(page: Page) -> None:
    """No payload ran, and none became markup (no injected image or SVG, no script link)."""
    assert await page.evaluate("window.__pwned") is None
    assert await page.evaluate("window.__dialogs ?? 0") == 0
    assert await page.locator("img[src='x'], svg[onload], [onerror], [onload]").count() == 0
    assert await page.locator("a[href^='javascript:' i]").count() == 0


async def test_a_matchs_name_messages_and_attachments_render_as_text_and_never_run(
    disco: Running, open_page: OpenPage
) -> None:
    ada = await account(disco, "Ada")
    eve = await account(disco, "Eve")
    await eve.patch("/v1/users/me", {"firstName": IMG})
    async with ada, eve:
        _, room = await chatting(disco.system, ada, eve)
        ada_page = await armed(await signed_in_page(open_page, ada))
        eve_page = await signed_in_page(open_page, eve)
        await ada_page.goto("/#/matches")
        matches = ada_page.get_by_role("list", name="Your matches")
        await expect(matches).to_contain_text(IMG)
        await open_chat(ada_page, room, IMG)
        await open_chat(eve_page, room, "Ada")

        for payload in PAYLOADS:
            await say(eve_page, payload)
            await expect(thread(ada_page).get_by_text(payload, exact=True)).to_be_visible()
        # A file that claims to be a web page, and a picture that carries script: neither may
        # become a page of the app's origin (a blob URL is the app's own).
        await eve_page.get_by_label("Attach a photo or file").set_input_files(
            {
                "name": "invoice.html",
                "mimeType": "text/html",
                "buffer": b"<script>opener.__pwned=1</script>",
            }
        )
        page_link = thread(ada_page).get_by_role("link", name=re.compile("invoice.html"))
        await expect(page_link).to_be_visible()
        await eve_page.get_by_label("Attach a photo or file").set_input_files(
            {
                "name": "cat.svg",
                "mimeType": "image/svg+xml",
                "buffer": b'<svg xmlns="http://www.w3.org/2000/svg" onload="top.__pwned=1"/>',
            }
        )
        svg_link = thread(ada_page).get_by_role("link", name=re.compile("cat.svg"))
        await expect(svg_link).to_be_visible()
        await expect(thread(ada_page).get_by_role("img", name="Photo: cat.svg")).to_have_count(0)
        # Opened in a tab of its own (as a person might), each is a download, never a page.
        for link in (page_link, svg_link):
            href = await link.get_attribute("href")
            assert href and href.startswith("blob:")
            tab = await ada_page.context.new_page()
            async with tab.expect_download() as downloading:
                with contextlib.suppress(PlaywrightError):  # "Download is starting"
                    await tab.goto(href)
            await (await downloading.value).cancel()
            await tab.close()
        await ada_page.goto("/#/matches")
        # The latest message, a file (not "Photo": only plain pictures count as photos).
        await expect(matches).to_contain_text("File: cat.svg")
        await assert_unharmed(ada_page)


async def test_a_report_an_event_and_a_live_page_show_a_hostile_person_s_text_as_text(
    disco: Running, mailbox: Mailbox, open_page: OpenPage
) -> None:
    # Eve's name, her report's details, her event and her alert's live page: each reaches
    # someone else's screen (a moderator's queue, a neighbour's events, a contact's browser).
    eve, (contact,) = await with_contacts(disco.url, mailbox, "Eve", count=1, phones=False)
    ada = await account(disco, "Ada")
    await eve.patch("/v1/users/me", {"firstName": IMG})
    details = f"{SVG} {JS_URL}"
    await eve.post(
        "/v1/safety/reports", {"userId": uid(ada), "reason": "harassment", "details": details}
    )
    mod = await moderator(disco.system, disco.url)
    spot = fresh_spot()
    now = datetime.now(UTC)
    await eve.post(
        "/v1/events",
        {
            "title": IMG,
            "description": SVG,
            "place": JS_URL,
            "startsAt": (now + timedelta(hours=1)).isoformat(),
            "endsAt": (now + timedelta(hours=3)).isoformat(),
            "latitude": spot[0],
            "longitude": spot[1],
        },
    )
    async with eve, ada, mod:
        queue = await armed(await signed_in_page(open_page, mod))
        await queue.goto("/#/moderation")
        card = queue.get_by_role("listitem").filter(has_text=details)
        await expect(card).to_be_visible()
        await assert_unharmed(queue)

        where = {"latitude": spot[0], "longitude": spot[1]}
        events = await armed(await signed_in_page(open_page, ada, geolocation=where))
        await events.goto("/#/events")
        near = events.get_by_role("list", name="Events near you")
        event = near.get_by_role("listitem").filter(has_text=IMG)
        await expect(event).to_contain_text(JS_URL)
        await assert_unharmed(events)

        await eve.post("/v1/safety/alerts", {"location": where, "message": SVG})
        mail = (await mailbox.wait_for(contact.email, 2))[1]
        link = re.search(r"https?://\S+/#/live/[\w-]+", mail.body)
        assert link, mail.body
        viewer = await armed(await open_page())
        await viewer.goto(link.group(0))
        await expect(viewer.get_by_role("heading", name=f"{IMG} needs help")).to_be_visible()
        await assert_unharmed(viewer)
        # The page's address holds the token: it must not leave in a Referer.
        assert await viewer.locator("meta[name=referrer]").get_attribute("content") == (
            "no-referrer"
        )
        for outward in await viewer.locator("a[target=_blank]").all():
            assert "noreferrer" in (await outward.get_attribute("rel") or "")


async def test_the_app_and_the_live_page_refuse_to_be_framed_by_another_site(
    disco: Running, open_page: OpenPage, page_watch: PageWatch
) -> None:
    page = await open_page()
    index = await page.request.get("/")
    asset = re.search(r"/assets/[\w.-]+\.js", await index.text())
    assert asset, "the page names no script"
    # The header says what the page's own meta policy says, and what only a header can.
    meta = re.search(r'Content-Security-Policy"\s+content="([^"]+)"', await index.text())
    assert meta, "the page has no meta policy"
    assert index.headers["content-security-policy"] == f"{meta.group(1)}; frame-ancestors 'none'"
    for path in ("/", "/index.html", asset.group(0)):
        headers = (await page.request.get(path)).headers
        policy = headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, path
        assert headers.get("x-frame-options") == "DENY", path
        assert headers.get("x-content-type-options") == "nosniff", path
        assert headers.get("referrer-policy") == "no-referrer", path

    # Another site frames the app (to clickjack a "Say hi" or an SOS) and a live page. It is
    # another origin on this machine (Chromium keeps public sites off loopback addresses).
    page_watch.expect_problem(r"frame-ancestors")
    page_watch.expect_problem(r"ERR_BLOCKED_BY_RESPONSE")
    bait = (
        f"<!doctype html><title>Win a prize</title>"
        f'<iframe title="app" src="{disco.url}/#/welcome"></iframe>'
        f'<iframe title="live" src="{disco.url}/#/live/some-token"></iframe>'
    ).encode()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(bait)}"
        writer.write(f"{head}\r\nConnection: close\r\n\r\n".encode() + bait)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    refusals: list[str] = []
    page.on(
        "console",
        lambda message: (
            refusals.append(message.text) if "frame-ancestors" in message.text else None
        ),
    )
    async with server:
        await page.goto(f"http://localhost:{port}/prize")
        await eventually(lambda: len(refusals) >= 2, what="both frames refused")
    assert len(page.frames) == 3
    for frame in page.frames[1:]:
        assert not frame.url.startswith(disco.url), frame.url


@pytest.mark.parametrize(
    "next_",
    [
        "https://attacker.test/",
        "//attacker.test/x",
        JS_URL,
        "/\\attacker.test",
        "%2F%2Fattacker.test",
    ],
)
async def test_sign_in_never_leaves_the_app_for_a_hostile_next(
    disco: Running, open_page: OpenPage, next_: str
) -> None:
    ada = await account(disco, "Ada")
    assert ada.user is not None
    page = await armed(await open_page())
    await page.goto(f"/#/login?next={quote(next_, safe='')}")
    await page.get_by_label("Email").fill(ada.user["email"])
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    # Signed in, and still in the app: Discover, or for "/\\x" a page of the app's own.
    landed = page.get_by_role("heading", level=1, name=re.compile(r"^(Discover|Nothing here)$"))
    await expect(landed).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('disco.session') !== null")
    assert page.url.startswith(f"{disco.url}/#/")
    await assert_unharmed(page)
    await ada.close()


async def test_tokens_stay_out_of_urls_local_storage_and_other_origins(
    disco: Running, open_page: OpenPage
) -> None:
    ada = await account(disco, "Ada")
    assert ada.user is not None
    page = await open_page()
    requests: list[tuple[str, dict[str, str]]] = []
    page.on("request", lambda request: requests.append((request.url, request.headers)))
    await page.goto("/#/login")
    await page.get_by_label("Email").fill(ada.user["email"])
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Discover", level=1)).to_be_visible()
    await page.goto("/#/matches")
    await expect(page.get_by_text("No matches yet")).to_be_visible()

    stored = await page.evaluate("JSON.parse(sessionStorage.getItem('disco.session'))")
    secrets = [stored["token"], stored["refreshToken"]]
    local = await page.evaluate("JSON.stringify(Object.entries(localStorage))")
    history = await page.evaluate("location.href")
    for secret in secrets:
        assert secret not in local and secret not in history
        for url, headers in requests:
            assert secret not in url, url
            if not url.startswith(disco.url):
                assert secret not in str(headers), url
    assert all(url.startswith((disco.url, "ws://127.0.0.1", "data:")) for url, _ in requests)
    await ada.close()


async def test_a_contact_s_one_time_code_leaves_the_address_bar_once_used(
    disco: Running, mailbox: Mailbox, open_page: OpenPage
) -> None:
    ada = await account(disco, "Ada")
    email = unique_email("contact")
    await ada.post("/v1/users/me/emergency-contacts", {"name": SVG, "email": email})
    (mail,) = await mailbox.wait_for(email)
    link = re.search(r"https?://\S+/#/contacts/confirm\?token=[\w%.-]+", mail.body)
    assert link, mail.body
    page = await armed(await open_page())
    await page.goto(link.group(0))
    await page.get_by_role("button", name="Yes, I'll be their contact").click()
    await expect(page.get_by_role("status")).to_be_visible()
    assert "token" not in page.url
    assert mail.token() not in await page.evaluate("location.href")
    await assert_unharmed(page)
    await ada.close()


async def test_a_person_who_forges_a_moderator_role_in_their_session_sees_no_reports(
    disco: Running, open_page: OpenPage, page_watch: PageWatch
) -> None:
    ada = await account(disco, "Ada")
    eve = await account(disco, "Eve")
    mallory = await account(disco, "Mallory")
    details = f"Only moderators may read this ({uid(ada)[:6]})"
    await eve.post(
        "/v1/safety/reports", {"userId": uid(ada), "reason": "harassment", "details": details}
    )
    async with ada, eve, mallory:
        page = await signed_in_page(open_page, mallory)
        # The role the client reads from its own session is the attacker's to edit.
        await page.add_init_script(
            "const s = JSON.parse(sessionStorage.getItem('disco.session'));"
            "s.user.roles = ['moderator'];"
            "sessionStorage.setItem('disco.session', JSON.stringify(s));"
        )
        page_watch.expect_problem(r"HTTP 403: GET .*/v1/safety/")
        await page.goto("/#/moderation")
        await expect(page.get_by_role("heading", name="Moderation", level=1)).to_be_visible()
        await expect(page.get_by_role("alert")).to_be_visible()  # the API said no
        await expect(page.get_by_text(details)).to_have_count(0)

"""Matches and chat in real browsers: two matched people, each on their own phone, exchange
end-to-end encrypted messages live (and with an SDK device), see typing and read receipts,
compare safety numbers, report a message with its franking opening, and unmatch."""

from __future__ import annotations

import json
import re
import struct
import zlib
from typing import Any

import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from disco.client import DiscoClient
from disco.client.e2ee import MemoryKeyStore, SecureChat
from tests.browser.conftest import OpenPage, check_accessibility, screenshot
from tests.browser.people import account, signed_in_page
from tests.conftest import PASSWORD
from tests.support.backends import Running
from tests.support.chat import chatting
from tests.support.poll import eventually
from tests.support.safety import moderator, uid

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)


async def open_chat(page: Page, room: str, peer: str) -> None:
    """The conversation, once its keys are ready (the composer shows)."""
    await page.goto(f"/#/chat/{room}")
    await expect(page.get_by_role("heading", level=1, name=peer)).to_be_visible()
    await expect(page.get_by_role("textbox", name="Message")).to_be_visible(timeout=40_000)


async def say(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    await box.fill(text)
    await page.get_by_role("button", name="Send").click()
    await expect(box).to_have_value("")


def thread(page: Page) -> Any:
    return page.get_by_role("log")


async def safety_digits(page: Page, room: str) -> str:
    await page.goto(f"/#/chat/{room}/safety-number")
    groups = page.get_by_role("list", name=re.compile("Safety number"))
    await expect(groups.get_by_role("listitem")).to_have_count(12, timeout=40_000)
    return "".join(await groups.get_by_role("listitem").all_inner_texts())


def png(width: int = 48, height: int = 32) -> bytes:
    """A small amber picture, as a phone's photo would be (only smaller)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xf5\x9e\x0b" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def sdk_device(
    disco: Running, client: DiscoClient, device_id: str = "sdk-phone"
) -> tuple[DiscoClient, SecureChat]:
    """The same person on an SDK app (another device, keys of its own)."""
    assert client.user is not None
    device = DiscoClient(disco.url)
    await device.login(client.user["email"], PASSWORD)
    chat = SecureChat(device, device_id, MemoryKeyStore())
    await chat.setup()
    return device, chat


async def test_two_matches_chat_end_to_end_encrypted_in_their_browsers(
    disco: Running, open_page: OpenPage
) -> None:
    ada = await account(disco, "Ada", interests=["climbing"])
    bob = await account(disco, "Bob", interests=["climbing"])
    async with ada, bob:
        match_id, room = await chatting(disco.system, ada, bob)
        bob_sdk, bob_sdk_chat = await sdk_device(disco, bob)
        async with bob_sdk:
            ada_page = await signed_in_page(open_page, ada)
            bob_page = await signed_in_page(open_page, bob)

            # The match list, then the chat.
            await ada_page.goto("/#/matches")
            await expect(ada_page.get_by_role("link", name=re.compile("Bob"))).to_be_visible()
            await expect(ada_page.get_by_text("You matched! Say hello.")).to_be_visible()
            await check_accessibility(ada_page, "matches")
            await ada_page.get_by_role("link", name=re.compile("Bob")).click()
            await expect(ada_page).to_have_url(re.compile(f"#/chat/{room}$"))
            await expect(ada_page.get_by_role("textbox", name="Message")).to_be_visible(
                timeout=40_000
            )
            await open_chat(bob_page, room, "Ada")

            # Typing shows on the other phone while Ada writes.
            await ada_page.get_by_role("textbox", name="Message").fill("Hi Bob")
            await expect(bob_page.get_by_text("typing…")).to_be_visible()
            secret_one = "Coffee at the blue kiosk at noon?"
            await say(ada_page, secret_one)
            await expect(thread(bob_page).get_by_text(secret_one)).to_be_visible()
            await expect(bob_page.get_by_text("typing…")).to_be_hidden()
            # Bob's phone is open on the chat: Ada sees her message read.
            await expect(thread(ada_page).get_by_text("Read", exact=True)).to_be_visible()

            secret_two = "Perfect, see you at the kiosk"
            await say(bob_page, secret_two)
            await expect(thread(ada_page).get_by_text(secret_two)).to_be_visible()

            # The server holds ciphertext only.
            stored = (await ada.get(f"/v1/chats/rooms/{room}/messages"))["messages"]
            assert len(stored) == 2
            dump = json.dumps(stored)
            assert "kiosk" not in dump and "Coffee" not in dump

            # The SDK app reads the browser's message, and the browser reads the SDK's.
            (first,) = [m for m in stored if m["senderId"] == uid(ada)]
            opened = await bob_sdk_chat.decrypt(first)
            assert opened.text == secret_one
            from_sdk = "Sent from my other phone"
            await bob_sdk_chat.send(room, from_sdk)
            await expect(thread(ada_page).get_by_text(from_sdk)).to_be_visible()

            # A photo, encrypted in Bob's browser: Ada's decrypts and shows it; the server's
            # copy is not a picture.
            await bob_page.get_by_label("Attach a photo or file").set_input_files(
                {"name": "kiosk.png", "mimeType": "image/png", "buffer": png()}
            )
            photo = thread(ada_page).get_by_role("img", name="Photo: kiosk.png")
            await expect(photo).to_be_visible()
            stored = (await ada.get(f"/v1/chats/rooms/{room}/messages"))["messages"]
            (with_media,) = [m for m in stored if m["mediaIds"]]
            response = await ada.request(
                "GET", f"/v1/chats/rooms/{room}/media/{with_media['mediaIds'][0]}"
            )
            assert response.status_code == 200 and not response.content.startswith(b"\x89PNG")
            await check_accessibility(ada_page, "chat")
            await screenshot(ada_page, "chat-conversation")
            await screenshot(bob_page, "chat-conversation-other-side")

            # The match list shows the latest message Ada's browser read.
            await ada_page.goto("/#/matches")
            await expect(ada_page.get_by_text("Photo", exact=True)).to_be_visible()
            # A message while Ada is elsewhere: a toast naming Bob (not the message), a badge,
            # and the preview her browser decrypted.
            await say(bob_page, "Bring an umbrella")
            await expect(ada_page.get_by_role("link", name="New message from Bob")).to_be_visible()
            matches = ada_page.get_by_role("list", name="Your matches")
            await expect(matches.get_by_text("1 unread")).to_be_attached()
            tab = ada_page.get_by_role("navigation", name="Main").get_by_role(
                "link", name="Matches"
            )
            await expect(tab).to_have_accessible_name("Matches 1 unread")
            await expect(ada_page.get_by_text("Bring an umbrella")).to_be_visible()
            await ada_page.get_by_role("button", name="Dismiss").click()
            await screenshot(ada_page, "chat-matches")
            await screenshot(ada_page, "chat-matches")

            # Both see the same safety number.
            ada_digits = await safety_digits(ada_page, room)
            bob_digits = await safety_digits(bob_page, room)
            assert len(ada_digits) == 60 and ada_digits == bob_digits
            await expect(ada_page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
            await check_accessibility(ada_page, "safety number")
            await screenshot(ada_page, "chat-safety-number")

            # Bob reports Ada's first message from the conversation's menu.
            await open_chat(bob_page, room, "Ada")
            await bob_page.get_by_role("button", name="Chat options").click()
            await bob_page.get_by_role("link", name="Report Ada").click()
            await expect(bob_page.get_by_role("heading", name="Report Ada")).to_be_visible()
            await bob_page.get_by_label("What happened?").select_option("harassment")
            await bob_page.get_by_role("checkbox", name=re.compile("blue kiosk")).check()
            await check_accessibility(bob_page, "report")
            await screenshot(bob_page, "chat-report")
            await bob_page.get_by_role("button", name="Send report").click()
            await expect(bob_page.get_by_text("Your report reached")).to_be_visible()

            mod = await moderator(disco.system, disco.url)
            async with mod:
                reports = (await mod.get("/v1/safety/moderation/reports"))["reports"]
                (report,) = [r for r in reports if r["userId"] == uid(ada)]
                (evidence,) = report["messages"]
                assert evidence["verified"] is True and evidence["text"] == secret_one

            # Ada unmatches: the chat closes on both phones, read-only.
            await ada_page.goto(f"/#/chat/{room}")
            await ada_page.get_by_role("button", name="Chat options").click()
            await ada_page.get_by_role("button", name="Unmatch").click()
            await ada_page.get_by_role("button", name="Unmatch", exact=True).click()
            await expect(ada_page.get_by_text("This chat is closed")).to_be_visible()
            await expect(ada_page.get_by_role("textbox", name="Message")).to_have_count(0)
            await bob_page.goto(f"/#/chat/{room}")
            await expect(bob_page.get_by_text("This chat is closed")).to_be_visible()

            async def closed() -> bool:
                rooms = (await bob.get("/v1/chats/rooms"))["rooms"]
                return any(r["id"] == room and r["status"] == "closed" for r in rooms)

            await eventually(closed, what="the room to close")
            assert match_id


async def test_no_matches_yet_leads_to_discover(disco: Running, open_page: OpenPage) -> None:
    cleo = await account(disco, "Cleo")
    async with cleo:
        page = await signed_in_page(open_page, cleo)
        await page.goto("/#/matches")
        await expect(page.get_by_text("No matches yet")).to_be_visible()
        await check_accessibility(page, "empty matches")
        await screenshot(page, "chat-matches-empty")
        await page.get_by_role("link", name="Go to Discover").click()
        await expect(page).to_have_url(re.compile("#/discover$"))


async def test_older_messages_load_on_scrolling_up_and_a_blocked_chat_closes(
    disco: Running, open_page: OpenPage
) -> None:
    ada = await account(disco, "Ada")
    bob = await account(disco, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        ada_sdk, _ = await sdk_device(disco, ada)
        bob_early, bob_early_chat = await sdk_device(disco, bob, "sdk-early")
        async with ada_sdk, bob_early:
            # Sent before Ada's browser had keys: it holds no part of it, and says so.
            await bob_early_chat.send(room, "Sent before your browser joined")
            page = await signed_in_page(open_page, ada)
            # The page's live connections pass through here, so the test can drop one.
            sockets: list[WebSocketRoute] = []

            def relay(socket: WebSocketRoute) -> None:
                sockets.append(socket)
                socket.connect_to_server()

            await page.route_web_socket(re.compile(r"/v1/ws$"), relay)
            asked: list[str] = []
            page.on("request", lambda request: asked.append(request.url))
            await open_chat(page, room, "Bob")
            await expect(
                thread(page).get_by_text(re.compile("t be read on this device"))
            ).to_be_visible()
            await page.get_by_role("link", name="Back to matches").click()

            bob_late, bob_late_chat = await sdk_device(disco, bob, "sdk-late")
            async with bob_late:
                for n in range(1, 35):
                    await bob_late_chat.send(room, f"Note {n}")
                await page.get_by_role("link", name=re.compile("^Bob")).click()
                # The newest page first; scrolling up brings the ones before.
                await expect(thread(page).get_by_text("Note 34", exact=True)).to_be_visible()
                await expect(thread(page).get_by_text("Note 1", exact=True)).to_have_count(0)
                await page.evaluate("window.scrollTo(0, 0)")
                await expect(thread(page).get_by_text("Note 1", exact=True)).to_be_visible()
                unreadable = thread(page).get_by_text(re.compile("t be read on this device"))
                await expect(unreadable).to_be_visible()

                # Offline for a while: what came meanwhile is fetched on reconnecting.
                # The connection drops; what came meanwhile is fetched on reconnecting.
                await sockets[-1].close(code=4000, reason="dropped")
                await bob_late_chat.send(room, "Sent while you were away")
                away = thread(page).get_by_text("Sent while you were away")
                await expect(away).to_be_visible()
                assert len(sockets) >= 2  # it did reconnect, and caught up from the last seq
                assert any(re.search(r"/messages\?after=35\b", url) for url in asked), asked

            # A shorter disappearing-message timer, from the chat's menu.
            await page.get_by_role("button", name="Chat options").click()
            await check_accessibility(page, "chat menu")
            await screenshot(page, "chat-menu")
            await page.get_by_role("button", name="Disappearing messages").click()
            await page.get_by_label("Messages disappear after").select_option("3600")
            await page.get_by_role("button", name="Save").click()
            await expect(page.get_by_text("Messages disappear after 1 hour")).to_be_visible()

            # Blocking from the chat's menu closes it, read-only.
            await page.get_by_role("button", name="Chat options").click()
            await page.get_by_role("button", name="Block Bob").click()
            await page.get_by_role("button", name="Block", exact=True).click()
            await expect(page.get_by_text("one of you blocked the other")).to_be_visible()
            await expect(page.get_by_role("textbox", name="Message")).to_have_count(0)
            await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            await check_accessibility(page, "closed chat")
            await screenshot(page, "chat-closed")

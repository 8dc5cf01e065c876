"""People for browser tests of screens past sign-in: an account made through the API, and a
page that is already signed in as it (the session the web app keeps in sessionStorage).

The sign-up and sign-in screens have their own tests that go through the forms; every other
screen's test starts here, so it fails only for its own screen.
"""

from __future__ import annotations

import json
import time
from typing import Any

from playwright.async_api import Page

from disco.client import DiscoClient
from tests.browser.conftest import OpenPage
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running

SESSION_KEY = "disco.session"


async def account(disco: Running, first_name: str, **profile: Any) -> DiscoClient:
    """A new person's API client (the caller closes it); ``profile`` fields are PATCHed."""
    client = DiscoClient(disco.url)
    await client.signup(unique_email(first_name.lower()), PASSWORD, first_name, "Tester")
    if profile:
        await client.patch("/v1/users/me", profile)
    return client


async def signed_in_page(open_page: OpenPage, client: DiscoClient, **page_options: Any) -> Page:
    """A new device's page, signed in as ``client``'s person with a session of its own."""
    assert client.user is not None, "the client has not signed up or in"
    async with DiscoClient(client.base_url) as device:
        pair = await device.login(client.user["email"], PASSWORD)
    state = {
        "token": pair["token"],
        "refreshToken": pair["refreshToken"],
        "user": pair["user"],
        "expiresAt": int(time.time() * 1000) + pair["expiresIn"] * 1000,
        "lifetimeMs": pair["expiresIn"] * 1000,
    }
    page = await open_page(**page_options)
    await page.add_init_script(
        f"sessionStorage.getItem({SESSION_KEY!r}) || "
        f"sessionStorage.setItem({SESSION_KEY!r}, {json.dumps(json.dumps(state))})"
    )
    return page

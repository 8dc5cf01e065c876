"""Read-your-writes on first use: a person who signs up and onboards at once, as every app
does, never meets a 404 because a service has not yet heard of the account."""

from __future__ import annotations

import asyncio

from disco.client import DiscoClient
from tests.support.backends import Running
from tests.support.users import onboard_at_once


async def test_sign_up_then_onboard_at_once_succeeds_every_time(disco: Running) -> None:
    # Many at a time, so the event that would also make each profile is racing every one.
    async def newcomer(n: int) -> None:
        async with DiscoClient(disco.url) as client:
            await onboard_at_once(client, f"Newcomer{n}")

    for _ in range(4):
        await asyncio.gather(*(newcomer(n) for n in range(10)))

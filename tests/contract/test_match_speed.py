"""The speed check cannot be cheated (issue 9, item 3): it measures travel time on the server's
clock, and switching discovery off and on neither resets it nor can be done without limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from disco.client import DiscoClient
from disco.platform.clock import FrozenClock
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox
from tests.support.users import discoverable, fresh_spot, north_of, person

SWITCHES_PER_HOUR = 5


@pytest.fixture
async def timed(
    backend: str, mailbox: Mailbox, tmp_path: Path
) -> AsyncIterator[tuple[Running, FrozenClock]]:
    clock = FrozenClock(datetime.now(UTC))
    async with backend_settings(
        backend,
        tmp_path,
        smtp_url=mailbox.url,
        presence_ttl_seconds=900,
        discovery_switches_per_hour=SWITCHES_PER_HOUR,
    ) as settings:
        async with serve(settings, clock=clock) as running:
            yield running, clock


async def locate(client: DiscoClient, spot: tuple[float, float], **extra: Any) -> Any:
    return await client.post("/v1/location", {"latitude": spot[0], "longitude": spot[1], **extra})


async def test_a_backdated_fix_buys_no_travel_time(timed: tuple[Running, FrozenClock]) -> None:
    running, clock = timed
    here = fresh_spot()
    far = north_of(here, 9_000)  # 100 s at the 90 m/s limit
    ada = await person(running.url, "Ada")
    async with ada:
        await discoverable(running, ada, interests=["chess"])
        taken = (clock.now() - timedelta(seconds=110)).isoformat()
        assert (await locate(ada, here, timestamp=taken))["accepted"] is True
        # The device says 110 s passed since that fix; the server saw none.
        assert await locate(ada, far) == {"accepted": False, "reason": "implausible"}
        clock.advance(60)
        assert await locate(ada, far) == {"accepted": False, "reason": "implausible"}
        clock.advance(50)  # 110 s of the server's time: 9.9 km allowed
        assert (await locate(ada, far))["accepted"] is True
        # A device time may still say a fix is older than the last one (out of order): stale.
        clock.advance(5)
        before = (clock.now() - timedelta(seconds=30)).isoformat()
        assert await locate(ada, far, timestamp=before) == {"accepted": False, "reason": "stale"}


async def test_switching_discovery_off_and_on_does_not_reset_the_speed_check(
    timed: tuple[Running, FrozenClock],
) -> None:
    running, clock = timed
    here = fresh_spot()
    far = north_of(here, 9_000)
    ada = await person(running.url, "Ada")
    async with ada:
        await discoverable(running, ada, interests=["chess"])
        assert (await locate(ada, here))["accepted"] is True
        assert await ada.put("/v1/discovery", {"enabled": False}) == {
            "enabled": False,
            "until": None,
        }
        assert (await ada.put("/v1/discovery", {"enabled": True}))["enabled"] is True
        assert await locate(ada, far) == {"accepted": False, "reason": "implausible"}
        clock.advance(101)
        assert (await locate(ada, far))["accepted"] is True


async def test_discovery_switches_are_rate_limited(timed: tuple[Running, FrozenClock]) -> None:
    running, clock = timed
    ada = await person(running.url, "Ada")
    async with ada:
        await discoverable(running, ada, interests=["chess"])  # one switch
        for n in range(SWITCHES_PER_HOUR - 1):
            assert (await ada.put("/v1/discovery", {"enabled": n % 2 == 1}))["enabled"] is (
                n % 2 == 1
            )
        state = await ada.get("/v1/discovery")
        refused = await ada.request("PUT", "/v1/discovery", json={"enabled": not state["enabled"]})
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["code"] == "RATE_LIMITED"
        assert "discovery" in error["message"].lower()
        assert set(refused.json()) == {"error"} and set(error) == {"code", "message", "details"}
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 3600
        assert await ada.get("/v1/discovery") == state  # the refused switch changed nothing

        clock.advance(retry_after)
        assert (await ada.put("/v1/discovery", {"enabled": not state["enabled"]}))[
            "enabled"
        ] is not state["enabled"]

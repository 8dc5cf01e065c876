"""Projections follow the newest state of each entity whatever order its events arrive in:
an older event delivered late (redelivered by the broker, or stuck behind a restart) changes
nothing. Each test publishes an old event again as a first delivery, after a newer one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from disco.client import DiscoClient
from disco.platform.bus import Envelope
from disco.runtime import System
from tests.conftest import unique_email
from tests.support.backends import backend_settings
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.users import rows_naming, sign_up


@dataclass
class Recorded:
    """A running system, and every users.contact.*, users.block.* and users.privacy_zone.*
    event it published."""

    system: System
    seen: list[Envelope] = field(default_factory=list)


@pytest.fixture
async def recorded(backend: str, mailbox: Mailbox, tmp_path: Path) -> AsyncIterator[Recorded]:
    async with backend_settings(backend, tmp_path, smtp_url=mailbox.url) as settings:
        recorded = Recorded(System(settings))

        async def record(envelope: Envelope) -> None:
            recorded.seen.append(envelope)

        recorded.system.bus.subscribe(
            "probe", ["users.contact.#", "users.block.#", "users.privacy_zone.#"], record
        )
        await recorded.system.start()
        try:
            yield recorded
        finally:
            await recorded.system.stop()


async def deliver_late(system: System, original: Envelope, consumer: str) -> None:
    """``original``'s event once more, as a first delivery (a new envelope id, so no inbox
    recognises it); returns once ``consumer`` has handled it."""
    late = Envelope(
        str(uuid.uuid4()), original.type, original.version, datetime.now(UTC), original.payload
    )
    await system.bus.publish(late)
    await handled(system, late, consumer)


async def handled(system: System, envelope: Envelope, consumer: str) -> None:
    """Returns once ``consumer`` has handled ``envelope`` (its inbox row, written in the same
    transaction as the event's effect, is there)."""

    async def applied() -> bool:
        rows = await rows_naming(system.settings, [envelope.id])
        return any(f"{consumer}_inbox" in row for row in rows)

    await eventually(applied, what=f"the {consumer} service to handle {envelope.type}")


async def test_a_late_confirmation_does_not_bring_a_removed_contact_back(
    recorded: Recorded, mailbox: Mailbox
) -> None:
    system, seen = recorded.system, recorded.seen
    async with DiscoClient("http://disco.test", transport=httpx.ASGITransport(system.front)) as ada:
        await sign_up(ada, unique_email("order"), "Ada", "Lovelace")
        email = unique_email("mum")
        contact = await ada.post("/v1/users/me/emergency-contacts", {"name": "Mum", "email": email})
        (mail,) = await mailbox.wait_for(email)
        await ada.get(f"/v1/users/contacts/confirm?token={mail.token()}")

        async def safety_contacts() -> list[dict[str, Any]]:
            return (await ada.get("/v1/safety/contacts"))["contacts"]

        await eventually(lambda: _has(safety_contacts, 1), what="safety to know the contact")
        await ada.delete(f"/v1/users/me/emergency-contacts/{contact['id']}")
        await eventually(lambda: _has(safety_contacts, 0), what="safety to drop the contact")

        (confirmed,) = [e for e in seen if e.type == "users.contact.confirmed"]
        (removed,) = [e for e in seen if e.type == "users.contact.removed"]
        assert confirmed.payload["version"] < removed.payload["version"]
        await deliver_late(system, confirmed, "safety")
        assert await safety_contacts() == [], "an older confirmation revived a removed contact"


async def _has(read: Any, count: int) -> bool:
    return len(await read()) == count


async def test_a_late_unblock_does_not_lift_a_newer_block(recorded: Recorded) -> None:
    system, seen = recorded.system, recorded.seen
    transport = httpx.ASGITransport(system.front)
    async with (
        DiscoClient("http://disco.test", transport=transport) as ada,
        DiscoClient("http://disco.test", transport=transport) as bob,
    ):
        ada_id = await sign_up(ada, unique_email("order"), "Ada", "Lovelace")
        await sign_up(bob, unique_email("order"), "Bob", "Babbage")

        async def matching_holds_the_block() -> bool:
            """Matching's copy of the block, which keeps the two out of each other's nearby
            lists (the connections API asks the users service instead)."""
            rows = await rows_naming(system.settings, [ada_id])
            return any("match_blocks:" in row for row in rows)

        await bob.post("/v1/users/me/blocks", {"userId": ada_id})
        await bob.delete(f"/v1/users/me/blocks/{ada_id}")
        await bob.post("/v1/users/me/blocks", {"userId": ada_id})

        def block_events() -> list[Envelope]:
            return [e for e in seen if e.type.startswith("users.block.")]

        await eventually(lambda: len(block_events()) == 3, what="the three block events")
        _, unblocked, added_again = sorted(block_events(), key=lambda e: e.payload["version"])
        assert unblocked.type == "users.block.removed"
        await handled(system, added_again, "match")
        assert await matching_holds_the_block()

        await deliver_late(system, unblocked, "match")
        assert await matching_holds_the_block(), "an older unblock lifted a newer block"


async def test_a_late_zone_addition_does_not_bring_a_removed_zone_back(recorded: Recorded) -> None:
    """A zone's "added" retried after its "removed" (its first try failed, say) would hide the
    person where they chose to be seen again."""
    system, seen = recorded.system, recorded.seen
    async with DiscoClient("http://disco.test", transport=httpx.ASGITransport(system.front)) as ada:
        ada_id = await sign_up(ada, unique_email("order"), "Ada", "Lovelace")

        async def matching_holds_a_zone() -> bool:
            rows = await rows_naming(system.settings, [ada_id])
            return any("match_privacy_zones:" in row for row in rows)

        zone = await ada.post(
            "/v1/users/me/privacy-zones",
            {"name": "Home", "latitude": 51.5, "longitude": -0.12, "radiusMeters": 200},
        )
        await ada.delete(f"/v1/users/me/privacy-zones/{zone['id']}")

        def zone_events() -> list[Envelope]:
            return [e for e in seen if e.type.startswith("users.privacy_zone.")]

        await eventually(lambda: len(zone_events()) == 2, what="the two zone events")
        added, removed = zone_events()
        assert (added.type, removed.type) == (
            "users.privacy_zone.added",
            "users.privacy_zone.removed",
        )
        await handled(system, removed, "match")
        assert not await matching_holds_a_zone()

        await deliver_late(system, added, "match")
        assert not await matching_holds_a_zone(), "a late addition revived a removed zone"

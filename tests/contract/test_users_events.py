"""Every change is published as a users.* event; what is sensitive travels sealed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from disco.client import DiscoClient
from disco.contracts.events.users import ContactConfirmed, PrivacyZoneAdded
from disco.platform.bus import Envelope
from disco.runtime import System
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import backend_settings
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.users import profile_ready


@dataclass
class Probe:
    """A running system with one more consumer: it records every users.* event."""

    system: System
    transport: httpx.AsyncBaseTransport
    seen: list[Envelope] = field(default_factory=list)

    def of(self, event_type: str, user_id: str) -> list[dict[str, Any]]:
        return [
            e.payload
            for e in self.seen
            if e.type == event_type and e.payload.get("user_id") == user_id
        ]

    async def wait(self, event_type: str, user_id: str, count: int = 1) -> dict[str, Any]:
        await eventually(
            lambda: len(self.of(event_type, user_id)) >= count, what=f"{count} x {event_type}"
        )
        return self.of(event_type, user_id)[count - 1]


@pytest.fixture
async def probe(backend: str, mailbox: Mailbox, tmp_path: Path) -> AsyncIterator[Probe]:
    async with backend_settings(backend, tmp_path, smtp_url=mailbox.url) as settings:
        system = System(settings)
        recorder = Probe(system, httpx.ASGITransport(app=system.front))

        async def record(envelope: Envelope) -> None:
            recorder.seen.append(envelope)

        system.bus.subscribe("probe", ["users.#", "auth.user.registered"], record)
        await system.start()
        try:
            yield recorder
        finally:
            await system.stop()


async def test_every_change_is_published(probe: Probe, mailbox: Mailbox) -> None:
    async with DiscoClient("http://disco.test", transport=probe.transport) as ada:
        await ada.signup(unique_email("events"), PASSWORD, "Ada", "Lovelace")
        assert ada.user is not None
        me = ada.user["id"]
        await profile_ready(ada)
        created = await probe.wait("users.profile.updated", me)
        assert created["first_name"] == "Ada" and created["mode"] == "social"
        await probe.wait("users.preferences.updated", me)

        await ada.patch("/v1/users/me", {"interests": ["Hike"], "activities": ["coffee"]})
        updated = await probe.wait("users.profile.updated", me, count=2)
        assert updated["interests"] == ["hiking"] and updated["activities"] == ["coffee"]

        window = {"days": ["mon"], "start": "18:00", "end": "20:00", "tz": "Europe/Paris"}
        await ada.put(
            "/v1/users/me/preferences",
            {"discoveryRadiusMeters": 200, "timeWindows": [window], "professionalOnly": True},
        )
        preferences = await probe.wait("users.preferences.updated", me, count=2)
        assert preferences["discovery_radius_meters"] == 200
        assert preferences["time_windows"] == [window]
        assert preferences["professional_only"] is True

        zone = await ada.post(
            "/v1/users/me/privacy-zones",
            {"name": "home", "latitude": 52.520008, "longitude": 13.404954, "radiusMeters": 400},
        )
        added = await probe.wait("users.privacy_zone.added", me)
        assert "52.520008" not in json.dumps(added), "a home's position travels sealed"
        area = PrivacyZoneAdded.model_validate(added).open_area(probe.system.context.cipher)
        assert (area.latitude, area.longitude, area.radius_meters) == (52.520008, 13.404954, 400)
        await ada.delete(f"/v1/users/me/privacy-zones/{zone['id']}")
        assert (await probe.wait("users.privacy_zone.removed", me))["zone_id"] == zone["id"]

        async with DiscoClient("http://disco.test", transport=probe.transport) as bob:
            await bob.signup(unique_email("events"), PASSWORD, "Bob", "B")
            await profile_ready(bob)
            assert bob.user is not None
            await ada.post("/v1/users/me/blocks", {"userId": bob.user["id"]})
            blocked = await probe.wait("users.block.added", me)
            assert blocked["blocked_user_id"] == bob.user["id"] and blocked["until"] is None
            await ada.delete(f"/v1/users/me/blocks/{bob.user['id']}")
            await probe.wait("users.block.removed", me)

        contact_email = unique_email("contact")
        contact = await ada.post(
            "/v1/users/me/emergency-contacts", {"name": "Mum", "email": contact_email}
        )
        (mail,) = await mailbox.wait_for(contact_email)
        assert probe.of("users.contact.confirmed", me) == [], "not before the contact agrees"
        await ada.get(f"/v1/users/contacts/confirm?token={mail.token()}")
        confirmed = await probe.wait("users.contact.confirmed", me)
        assert contact_email not in json.dumps(confirmed), "a contact's address travels sealed"
        details = ContactConfirmed.model_validate(confirmed).open_details(
            probe.system.context.cipher
        )
        assert (details.name, details.email) == ("Mum", contact_email)
        await ada.delete(f"/v1/users/me/emergency-contacts/{contact['id']}")
        assert (await probe.wait("users.contact.removed", me))["contact_id"] == contact["id"]

        await ada.post("/v1/users/me/deactivate")
        await probe.wait("users.user.deactivated", me)
        await ada.post("/v1/users/me/reactivate")
        await probe.wait("users.user.reactivated", me)
        await ada.delete("/v1/users/me")
        await probe.wait("users.user.deleted", me)


async def test_a_redelivered_sign_up_changes_nothing(probe: Probe) -> None:
    async with DiscoClient("http://disco.test", transport=probe.transport) as ada:
        await ada.signup(unique_email("again"), PASSWORD, "Ada", "Lovelace")
        assert ada.user is not None
        me = ada.user["id"]
        await profile_ready(ada)
        await ada.patch("/v1/users/me", {"bio": "kept"})
        await probe.wait("users.profile.updated", me, count=2)
        (registered,) = [
            e for e in probe.seen if e.type == "auth.user.registered" and e.payload["user_id"] == me
        ]
        await probe.system.bus.publish(registered)  # at-least-once: the same event again
        await eventually(
            lambda: sum(e.id == registered.id for e in probe.seen) == 2,
            what="the redelivery",
        )
        await asyncio.sleep(0.5)  # time for a wrong second profile.updated to show up
        assert len(probe.of("users.profile.updated", me)) == 2
        assert (await ada.get("/v1/users/me"))["bio"] == "kept"

"""Every change is published as a users.* event; what is sensitive travels sealed."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from disco.client import DiscoClient
from disco.clients.users import UsersClient
from disco.contracts.events.auth import UserRegistered
from disco.contracts.events.users import ContactConfirmed, PrivacyZoneAdded
from disco.platform.bus import Envelope
from disco.runtime import System
from tests.conftest import unique_email
from tests.support.backends import backend_settings
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.users import rows_naming, sign_up


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
        me = await sign_up(ada, unique_email("events"), "Ada", "Lovelace")
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
            bob_id = await sign_up(bob, unique_email("events"), "Bob", "B")
            await ada.post("/v1/users/me/blocks", {"userId": bob_id})
            blocked = await probe.wait("users.block.added", me)
            assert blocked["blocked_user_id"] == bob_id and blocked["until"] is None
            await ada.delete(f"/v1/users/me/blocks/{bob_id}")
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


def registered(user_id: str, first_name: str, last_name: str) -> UserRegistered:
    return UserRegistered(
        user_id=user_id,
        email=unique_email(first_name.lower()),
        first_name=first_name,
        last_name=last_name,
        registered_at=datetime.now(UTC),
    )


async def deliver(probe: Probe, event: UserRegistered) -> None:
    """``event`` as auth announces it, once the users service has applied it (its inbox row,
    written in the same transaction as whatever it changed, is there)."""
    envelope = Envelope(
        str(uuid.uuid4()),
        event.event_type,
        event.event_version,
        datetime.now(UTC),
        event.model_dump(mode="json"),
    )
    await probe.system.bus.publish(envelope)

    async def applied() -> bool:
        return any(
            "users_inbox" in row for row in await rows_naming(probe.system.settings, [envelope.id])
        )

    await eventually(applied, what="the users service to apply auth.user.registered")


async def names(probe: Probe, user_id: str) -> tuple[str, str | None]:
    """First and last name as a match sees them (last names are shown to matches by default)."""
    view = await UsersClient(probe.system.directory).profile_view(user_id, user_id, "match")
    assert view is not None
    return view.first_name, view.last_name


async def test_the_first_of_auths_calls_and_its_event_makes_the_profile(probe: Probe) -> None:
    """Auth calls right after the sign-up and announces it too, in any order, each maybe
    twice: the first makes the profile, and the rest change nothing."""
    users = UsersClient(probe.system.directory)
    user_id = str(uuid.uuid4())
    assert await users.create_profile(registered(user_id, "Ada", "Lovelace")) is True
    assert await users.create_profile(registered(user_id, "Eve", "Later")) is False
    await deliver(probe, registered(user_id, "Mallory", "Late"))
    assert await names(probe, user_id) == ("Ada", "Lovelace")
    await probe.wait("users.profile.updated", user_id)
    await probe.wait("users.preferences.updated", user_id)


async def test_the_event_alone_makes_the_profile(probe: Probe) -> None:
    """Until auth makes the call, and whenever the call fails, the event makes the profile."""
    user_id = str(uuid.uuid4())
    await deliver(probe, registered(user_id, "Ada", "Lovelace"))
    assert await names(probe, user_id) == ("Ada", "Lovelace")
    created = await probe.wait("users.profile.updated", user_id)
    assert created["first_name"] == "Ada"


async def test_an_edited_profile_outlives_a_late_call_and_event(probe: Probe) -> None:
    async with DiscoClient("http://disco.test", transport=probe.transport) as ada:
        me = await sign_up(ada, unique_email("late"), "Ada", "Lovelace")
        await ada.patch("/v1/users/me", {"firstName": "Augusta", "bio": "kept"})
        users = UsersClient(probe.system.directory)
        assert await users.create_profile(registered(me, "Ada", "Lovelace")) is False
        await deliver(probe, registered(me, "Ada", "Lovelace"))
        profile = await ada.get("/v1/users/me")
        assert (profile["firstName"], profile["lastName"], profile["bio"]) == (
            "Augusta",
            "Lovelace",
            "kept",
        )


async def test_a_deleted_account_is_not_brought_back_by_a_late_call_or_event(
    probe: Probe,
) -> None:
    async with DiscoClient("http://disco.test", transport=probe.transport) as ada:
        me = await sign_up(ada, unique_email("gone"), "Ada", "Lovelace")
        await ada.delete("/v1/users/me")
    users = UsersClient(probe.system.directory)
    assert await users.create_profile(registered(me, "Ada", "Lovelace")) is False
    await deliver(probe, registered(me, "Ada", "Lovelace"))
    assert await users.profile_view(me, me, "match") is None


async def test_the_profile_call_refuses_bad_input_and_callers_without_a_credential(
    probe: Probe,
) -> None:
    http = probe.system.directory.client("users")
    user_id = str(uuid.uuid4())
    path = f"/internal/users/{user_id}/profile"
    body = {
        "email": "ada@example.com",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "registeredAt": datetime.now(UTC).isoformat(),
    }
    for bad_path, bad in [
        (path, dict(body, firstName="")),
        (path, dict(body, firstName="x" * 101)),
        (path, {k: v for k, v in body.items() if k != "email"}),
        (path, dict(body, isAdmin=True)),
        (f"/internal/users/{'x' * 37}/profile", body),
    ]:
        response = await http.put(bad_path, json=bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    # Straight to the users app, past the gateway, but without a service credential.
    users_app = httpx.ASGITransport(app=probe.system.apps["users"])
    async with httpx.AsyncClient(transport=users_app, base_url="http://users.test") as anyone:
        assert (await anyone.put(path, json=body)).status_code == 401
    users = UsersClient(probe.system.directory)
    assert await users.profile_view(user_id, user_id, "match") is None, "nothing was made"
    # An empty last name is what some sign-in providers give.
    assert await users.create_profile(registered(user_id, "Ada", "")) is True

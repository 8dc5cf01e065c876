"""Deleting an account erases the user in every service; the export gathers them from all."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from disco.client import ApiError, DiscoClient
from disco.platform.security import FieldCipher, declare_marks_complete
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, new_namespace, serve
from tests.support.mailbox import Mailbox
from tests.support.poll import eventually
from tests.support.users import rows_naming, sign_up

HERE = {"latitude": 51.507351, "longitude": -0.127758}
THERE = {"latitude": 51.509865, "longitude": -0.118092}


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 90, 200)).save(out, "JPEG")
    return out.getvalue()


async def _full_user(disco: Running, mailbox: Mailbox, email: str) -> DiscoClient:
    """A user who has set everything there is to set, and a confirmed contact."""
    client = DiscoClient(disco.url)
    await sign_up(client, email, "Grace", "Hopper")
    await client.patch("/v1/users/me", {"bio": "Compilers", "interests": ["cobol"]})
    await client.put(
        "/v1/users/me/preferences",
        {
            "discoveryRadiusMeters": 300,
            "timeWindows": [{"days": ["tue"], "start": "08:00", "end": "09:00", "tz": "UTC"}],
        },
    )
    await client.post(
        "/v1/users/me/privacy-zones",
        {"name": "home", "latitude": 40.7, "longitude": -74.0, "radiusMeters": 300},
    )
    contact_email = unique_email("contact")
    await client.post(
        "/v1/users/me/emergency-contacts",
        {"name": "Navy", "email": contact_email, "phone": "+1 555 0100"},
    )
    (mail,) = await mailbox.wait_for(contact_email)
    await client.get(f"/v1/users/contacts/confirm?token={mail.token()}")
    await client.post("/v1/users/me/photo", files={"photo": ("me.jpg", _jpeg(), "image/jpeg")})
    return client


async def test_the_export_holds_the_users_data_from_every_service(
    disco: Running, mailbox: Mailbox
) -> None:
    email = unique_email("export")
    async with await _full_user(disco, mailbox, email) as grace:
        alert = await grace.post("/v1/safety/alerts", {"location": HERE, "message": "lost"})
        await grace.post(f"/v1/safety/alerts/{alert['id']}/location", THERE)
        soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        await grace.post("/v1/safety/checkins", {"dueAt": soon, "place": "Harbour café"})
        later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
        event = await grace.post(
            "/v1/events", {"title": "Chess", "startsAt": soon, "endsAt": later, **HERE}
        )
        response = await grace.request("GET", "/v1/users/me/export")
        assert response.status_code == 200
        assert "attachment" in response.headers["content-disposition"]
        export = response.json()
    assert grace.user is not None
    assert export["userId"] == grace.user["id"]
    services = export["services"]
    assert services["auth"]["account"]["email"] == email
    assert services["auth"]["sessions"], "the sign-up session"
    assert "passwordHash" not in str(services["auth"])
    users = services["users"]
    assert users["profile"]["bio"] == "Compilers"
    assert users["preferences"]["discoveryRadiusMeters"] == 300
    assert users["privacyZones"][0]["latitude"] == 40.7
    assert users["emergencyContacts"][0]["status"] == "confirmed"
    assert users["photo"]["contentType"] == "image/jpeg"
    safety = services["safety"]
    (exported,) = safety["alerts"]
    assert exported["id"] == alert["id"] and exported["message"] == "lost"
    assert [(p["latitude"], p["longitude"]) for p in exported["trail"]] == [
        (HERE["latitude"], HERE["longitude"]),
        (THERE["latitude"], THERE["longitude"]),
    ]
    assert [c["place"] for c in safety["checkins"]] == ["Harbour café"]
    assert safety["reportsFiled"] == []
    assert {"rooms"} <= set(services["chat"])
    match = services["match"]
    assert match["connections"] == []
    assert [(e["id"], e["role"], e["title"]) for e in match["localEvents"]] == [
        (event["id"], "host", "Chess")
    ]


async def test_deleting_an_account_leaves_no_row_that_names_the_user(
    disco: Running, mailbox: Mailbox
) -> None:
    email = unique_email("erase")
    grace = await _full_user(disco, mailbox, email)
    assert grace.user is not None
    user_id = grace.user["id"]
    photos = disco.system.settings.data_dir / "photos"
    async with DiscoClient(disco.url) as other:
        await sign_up(other, unique_email("other"), "Other", "O")
        assert other.user is not None
        # Blocks in both directions name the user from someone else's side too.
        await other.post("/v1/users/me/blocks", {"userId": user_id})
        await grace.post("/v1/users/me/blocks", {"userId": other.user["id"]})
        # An alert raised with an idempotency key: the key names the user too.
        await grace.post("/v1/safety/alerts", {"location": HERE}, headers={"Idempotency-Key": "k"})
        photo_count = len(list(photos.glob("*.jpg")))
        assert await rows_naming(disco.system.settings, [user_id, email])

        await grace.delete("/v1/users/me")

        async def nothing_left() -> bool:
            return not await rows_naming(disco.system.settings, [user_id, email])

        await eventually(nothing_left, what="every service to forget the user")
        await eventually(
            lambda: len(list(photos.glob("*.jpg"))) == photo_count - 1, what="the photo file to go"
        )
        assert (await other.get("/v1/users/me/blocks"))["blocks"] == []
        response = await other.request("GET", f"/v1/users/{user_id}")
        assert response.status_code == 404

    # Their access token no longer opens anything, and the account cannot sign in.
    for path in ("/v1/users/me", "/v1/auth/me"):
        response = await grace.request("GET", path)
        assert response.status_code in (401, 404), (path, response.text)
    async with DiscoClient(disco.url) as again:
        with pytest.raises(ApiError) as err:
            await again.login(email, PASSWORD)
        assert err.value.status == 401
    await grace.close()


async def test_contacts_and_zones_are_encrypted_under_a_rotatable_key(
    backend: str, mailbox: Mailbox, tmp_path: Path
) -> None:
    old_key, new_key = FieldCipher.generate_key(), FieldCipher.generate_key()
    contact_email = unique_email("sealed")
    zone = {"name": "home", "latitude": 40.712776, "longitude": -74.005974, "radiusMeters": 300}
    async with backend_settings(
        backend, tmp_path, smtp_url=mailbox.url, encryption_keys=[old_key]
    ) as settings:
        async with serve(settings) as running, DiscoClient(running.url) as grace:
            await sign_up(grace, unique_email("sealed"), "Grace", "Hopper")
            await grace.post(
                "/v1/users/me/emergency-contacts",
                {"name": "Navy", "email": contact_email, "phone": "+1 555 0199"},
            )
            (mail,) = await mailbox.wait_for(contact_email)
            await grace.get(f"/v1/users/contacts/confirm?token={mail.token()}")
            await grace.post("/v1/users/me/privacy-zones", zone)
        # Nothing a table holds gives the contact or the place away.
        assert (
            await rows_naming(settings, [contact_email, "555 0199", "5550199", "40.712776"]) == []
        )

        # A new key goes in front; the old one still reads what it wrote, and rotation rewrites.
        rotated = settings.model_copy(update={"encryption_keys": [new_key, old_key]})
        async with serve(rotated) as running:

            async def reseal(service: str) -> int:
                answer = await running.system.directory.client(service).post(
                    f"/internal/{service}/encryption/rotate"
                )
                assert answer.status_code == 200, answer.text
                return int(answer.json()["rotated"])

            assert await reseal("users") == 2  # the contact and the zone
            assert await reseal("auth") >= 1  # the signing key's private half, at least
            assert await reseal("safety") >= 1  # the contact, as safety knows it
            # Run again (as after a crash half-way): only what is left is rewritten, nothing.
            assert [await reseal(s) for s in ("users", "auth", "safety")] == [0, 0, 0]

            # With the old key retired (here, in a users service of its own: auth's signing
            # keys are still sealed under it), the contact still reads, through the public API
            # with Grace's token (verified against the JWKS of the system still running).
            retired = settings.model_copy(
                update={
                    "encryption_keys": [new_key],
                    "service_urls": {"auth": running.url},
                    "namespace": new_namespace(),
                }
            )
            async with (
                serve(retired, ["users"]) as users_alone,
                DiscoClient(users_alone.url, token=grace.token) as reader,
            ):
                # Its key-value store is its own, with no auth process to write the revocation
                # marks into it (see auth/revocations.py): nothing was revoked, so say so.
                await declare_marks_complete(users_alone.system.kv)
                (contact,) = (await reader.get("/v1/users/me/emergency-contacts"))["contacts"]
                assert contact["email"] == contact_email and contact["phone"] == "+15550199"
                assert contact["status"] == "confirmed"

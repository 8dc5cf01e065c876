"""Emergency contacts confirm through a mailed link; photos are re-encoded without metadata."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from disco.client import ApiError, DiscoClient
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running
from tests.support.mailbox import Mailbox
from tests.support.users import sign_up


@pytest.fixture
async def ada(disco: Running) -> AsyncIterator[DiscoClient]:
    async with DiscoClient(disco.url) as c:
        await sign_up(c, unique_email("ada"), "Ada", "Lovelace")
        yield c


async def test_a_contact_is_pending_until_they_follow_their_link(
    ada: DiscoClient, mailbox: Mailbox, disco: Running
) -> None:
    email = unique_email("mum")
    contact = await ada.post(
        "/v1/users/me/emergency-contacts",
        {"name": "Mum", "email": email, "phone": "+44 7700 900123"},
    )
    assert contact["status"] == "pending" and contact["phone"] == "+447700900123"
    (mail,) = await mailbox.wait_for(email)
    assert "Ada Lovelace" in mail.subject
    token = mail.token()
    async with httpx.AsyncClient(base_url=disco.url) as anonymous:
        confirmed = await anonymous.get("/v1/users/contacts/confirm", params={"token": token})
        assert confirmed.status_code == 200, confirmed.text
        again = await anonymous.get("/v1/users/contacts/confirm", params={"token": token})
        assert again.status_code == 422 and again.json()["error"]["code"] == "VALIDATION_ERROR"
    (listed,) = (await ada.get("/v1/users/me/emergency-contacts"))["contacts"]
    assert listed["status"] == "confirmed" and listed["id"] == contact["id"]


async def test_a_new_address_must_confirm_again(ada: DiscoClient, mailbox: Mailbox) -> None:
    first, second = unique_email("dad"), unique_email("dad")
    contact = await ada.post("/v1/users/me/emergency-contacts", {"name": "Dad", "email": first})
    (mail,) = await mailbox.wait_for(first)
    await ada.get(f"/v1/users/contacts/confirm?token={mail.token()}")
    renamed = await ada.patch(f"/v1/users/me/emergency-contacts/{contact['id']}", {"name": "Papa"})
    assert renamed["status"] == "confirmed" and renamed["name"] == "Papa"
    moved = await ada.patch(f"/v1/users/me/emergency-contacts/{contact['id']}", {"email": second})
    assert moved["status"] == "pending"
    await mailbox.wait_for(second)
    await ada.delete(f"/v1/users/me/emergency-contacts/{contact['id']}")
    assert (await ada.get("/v1/users/me/emergency-contacts"))["contacts"] == []


async def test_contacts_are_capped(ada: DiscoClient) -> None:
    for n in range(5):
        await ada.post(
            "/v1/users/me/emergency-contacts", {"name": f"C{n}", "email": unique_email("cap")}
        )
    with pytest.raises(ApiError) as err:
        await ada.post("/v1/users/me/emergency-contacts", {"name": "C6", "email": unique_email()})
    assert err.value.status == 409
    assert len((await ada.get("/v1/users/me/emergency-contacts"))["contacts"]) == 5


def _photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # camera make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


async def test_a_photo_is_re_encoded_without_its_metadata(ada: DiscoClient, disco: Running) -> None:
    upload = _photo_with_gps()
    assert b"SpyCam" in upload
    answer = await ada.post("/v1/users/me/photo", files={"photo": ("me.jpg", upload, "image/jpeg")})
    assert answer["photoUrl"].endswith("/photo")
    stored = await ada.request("GET", "/v1/users/me/photo")
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    assert b"SpyCam" not in stored.content
    image = Image.open(io.BytesIO(stored.content))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert max(image.size) <= 1600
    assert (await ada.get("/v1/users/me"))["photoUrl"] is not None


async def test_others_see_the_photo_only_if_allowed(ada: DiscoClient, disco: Running) -> None:
    await ada.post("/v1/users/me/photo", files={"photo": ("me.jpg", _photo_with_gps())})
    assert ada.user is not None
    path = f"/v1/users/{ada.user['id']}/photo"
    async with DiscoClient(disco.url) as bob:
        await bob.signup(unique_email("bob"), PASSWORD, "Bob", "B")
        assert (await bob.request("GET", path)).status_code == 404
        shown = {
            "lastName": False,
            "bio": False,
            "photo": True,
            "allInterests": False,
            "activities": True,
        }
        await ada.patch(
            "/v1/users/me",
            {"visibility": {"nearby": shown, "match": dict(shown, lastName=True, bio=True)}},
        )
        assert (await bob.request("GET", path)).status_code == 200
        assert (await bob.get(f"/v1/users/{ada.user['id']}"))["photoUrl"] == path
    await ada.delete("/v1/users/me/photo")
    assert (await ada.request("GET", "/v1/users/me/photo")).status_code == 404

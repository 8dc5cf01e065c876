"""Bad input gets a 4xx in the error format and changes nothing; other users' things are 404."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image

from disco.client import DiscoClient
from tests.conftest import unique_email
from tests.support.backends import Running
from tests.support.users import sign_up


@pytest.fixture
async def ada(disco: Running) -> AsyncIterator[DiscoClient]:
    async with DiscoClient(disco.url, timeout=60) as c:
        await sign_up(c, unique_email("ada"), "Ada", "Lovelace")
        yield c


async def _state(client: DiscoClient) -> dict[str, Any]:
    """Everything the user set, to compare before and after a refused request."""
    me = await client.get("/v1/users/me")
    me.pop("updatedAt")
    return {
        "me": me,
        "preferences": await client.get("/v1/users/me/preferences"),
        "zones": await client.get("/v1/users/me/privacy-zones"),
        "contacts": await client.get("/v1/users/me/emergency-contacts"),
        "blocks": await client.get("/v1/users/me/blocks"),
        "photo": (await client.request("GET", "/v1/users/me/photo")).status_code,
    }


def _png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def _bomb() -> bytes:
    """144 megapixels of nothing: a few kilobytes that would decode to hundreds of megabytes."""
    data = _png((12_000, 12_000), mode="1")
    assert len(data) < 100_000
    return data


WINDOW = {"days": ["mon"], "start": "09:00", "end": "10:00", "tz": "Europe/Paris"}
ZONE = {"name": "home", "latitude": 48.85, "longitude": 2.35, "radiusMeters": 200}

BAD_JSON: list[tuple[str, str, str, Any]] = [
    ("oversize bio", "PATCH", "/v1/users/me", {"bio": "x" * 501}),
    ("500 interests", "PATCH", "/v1/users/me", {"interests": [f"tag {n}" for n in range(500)]}),
    ("an empty interest", "PATCH", "/v1/users/me", {"interests": ["  "]}),
    ("an unknown activity", "PATCH", "/v1/users/me", {"activities": ["skydiving"]}),
    ("an unknown mode", "PATCH", "/v1/users/me", {"mode": "romantic"}),
    ("a null name", "PATCH", "/v1/users/me", {"firstName": None}),
    # A name goes into mail subjects: a line break there would keep an alert's mail unsent.
    ("a name on two lines", "PATCH", "/v1/users/me", {"firstName": "Ada\r\nBcc: x@y.z"}),
    ("an unknown field", "PATCH", "/v1/users/me", {"isAdmin": True}),
    ("a child", "PATCH", "/v1/users/me", {"birthDate": "2020-01-01"}),
    (
        "a radius of 5 m",
        "PUT",
        "/v1/users/me/preferences",
        {"discoveryRadiusMeters": 5, "timeWindows": []},
    ),
    (
        "a radius of 50 km",
        "PUT",
        "/v1/users/me/preferences",
        {"discoveryRadiusMeters": 50_000, "timeWindows": []},
    ),
    (
        "an unknown time zone",
        "PUT",
        "/v1/users/me/preferences",
        {"discoveryRadiusMeters": 100, "timeWindows": [dict(WINDOW, tz="Mars/Olympus")]},
    ),
    (
        "a time of 25:00",
        "PUT",
        "/v1/users/me/preferences",
        {"discoveryRadiusMeters": 100, "timeWindows": [dict(WINDOW, end="25:00")]},
    ),
    (
        "an upside-down age range",
        "PUT",
        "/v1/users/me/preferences",
        {"discoveryRadiusMeters": 100, "ageRange": {"min": 40, "max": 20}},
    ),
    ("a zone at latitude 123", "POST", "/v1/users/me/privacy-zones", dict(ZONE, latitude=123)),
    ("a zone of 50 m", "POST", "/v1/users/me/privacy-zones", dict(ZONE, radiusMeters=50)),
    ("a zone of 5 km", "POST", "/v1/users/me/privacy-zones", dict(ZONE, radiusMeters=5000)),
    (
        "a zone that already ended",
        "POST",
        "/v1/users/me/privacy-zones",
        dict(ZONE, expiresAt="2000-01-01T00:00:00Z"),
    ),
    ("a contact without email", "POST", "/v1/users/me/emergency-contacts", {"name": "Mum"}),
    (
        "a contact with a bad phone",
        "POST",
        "/v1/users/me/emergency-contacts",
        {"name": "Mum", "email": "mum@example.com", "phone": "call me"},
    ),
    ("a block without a user", "POST", "/v1/users/me/blocks", {}),
    (
        "a block that already ended",
        "POST",
        "/v1/users/me/blocks",
        {"userId": "someone", "until": "2000-01-01T00:00:00Z"},
    ),
]


@pytest.mark.parametrize(("what", "method", "path", "body"), BAD_JSON, ids=[b[0] for b in BAD_JSON])
async def test_bad_input_is_refused_and_changes_nothing(
    ada: DiscoClient, what: str, method: str, path: str, body: Any
) -> None:
    before = await _state(ada)
    response = await ada.request(method, path, json=body)
    assert 400 <= response.status_code < 500, (what, response.status_code, response.text)
    assert response.json()["error"]["code"] in ("VALIDATION_ERROR", "NOT_FOUND")
    assert await _state(ada) == before


UPLOADS: list[tuple[str, bytes, int]] = [
    ("a text file", b"just some words, not an image", 422),
    ("a GIF", b"GIF89a" + _png((4, 4))[8:], 422),
    ("a truncated PNG", _png((300, 300))[:200], 422),
    ("a decompression bomb", _bomb(), 422),
    ("50 MB", b"\xff\xd8\xff" + bytes(50 * 1024 * 1024), 413),
]


@pytest.mark.parametrize(("what", "data", "status"), UPLOADS, ids=[u[0] for u in UPLOADS])
async def test_bad_uploads_are_refused_and_change_nothing(
    ada: DiscoClient, what: str, data: bytes, status: int
) -> None:
    before = await _state(ada)
    response = await ada.request(
        "POST", "/v1/users/me/photo", files={"photo": ("me.png", data, "image/png")}
    )
    assert response.status_code == status, (what, response.text)
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert await _state(ada) == before


async def test_an_upload_without_a_file_is_refused(ada: DiscoClient) -> None:
    response = await ada.request("POST", "/v1/users/me/photo", json={"photo": "x"})
    assert response.status_code == 422


async def test_other_users_things_are_not_found(ada: DiscoClient, disco: Running) -> None:
    """For every endpoint that takes an id: another user's object is 404, never 403 or data."""
    assert ada.user is not None
    mallory_email = unique_email("mallory")
    contact = await ada.post(
        "/v1/users/me/emergency-contacts", {"name": "Mum", "email": unique_email("mum")}
    )
    zone = await ada.post("/v1/users/me/privacy-zones", ZONE)
    async with DiscoClient(disco.url) as carol:
        await sign_up(carol, unique_email("carol"), "Carol", "C")
        assert carol.user is not None
        await ada.post("/v1/users/me/blocks", {"userId": carol.user["id"]})
        before = await _state(ada)
        async with DiscoClient(disco.url) as mallory:
            await sign_up(mallory, mallory_email, "Mallory", "M")
            attempts = [
                ("PATCH", f"/v1/users/me/emergency-contacts/{contact['id']}", {"name": "Eve"}),
                ("DELETE", f"/v1/users/me/emergency-contacts/{contact['id']}", None),
                ("DELETE", f"/v1/users/me/privacy-zones/{zone['id']}", None),
                ("DELETE", f"/v1/users/me/blocks/{carol.user['id']}", None),
                ("GET", f"/v1/users/{ada.user['id']}/photo", None),
                ("POST", f"/v1/users/me/emergency-contacts/{contact['id']}/resend", None),
                ("GET", "/v1/users/00000000-0000-0000-0000-000000000000", None),
            ]
            for method, path, body in attempts:
                response = await mallory.request(method, path, json=body)
                assert response.status_code == 404, (method, path, response.text)
                assert response.json()["error"]["code"] == "NOT_FOUND"
    assert await _state(ada) == before


async def test_the_api_needs_a_token(disco: Running) -> None:
    async with httpx.AsyncClient(base_url=disco.url) as anonymous:
        for path in ("/v1/users/me", "/v1/users/me/export", "/v1/users/someone"):
            response = await anonymous.get(path)
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "UNAUTHORIZED"

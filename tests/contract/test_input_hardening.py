"""An attacker's probe of the public API (issue 9), played back through HTTP: bodies nested too
deep, methods a path does not have, broken JSON and nulls. Each answer is a 4xx in the error
format that a person can act on, and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from disco.client import DiscoClient
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, serve

JSON = {"Content-Type": "application/json"}
MAX_DEPTH = 32  # the documented limit (API.md): deeper bodies and frames are refused


def nested(depth: int) -> str:
    """``depth`` levels of JSON: an object whose ``bio`` holds ``depth - 1`` nested lists."""
    return '{"bio": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


@pytest.fixture
async def ada(disco: Running) -> AsyncIterator[DiscoClient]:
    async with DiscoClient(disco.url) as c:
        await c.signup(unique_email("probe"), PASSWORD, "Ada", "Lovelace")
        yield c


# --- nesting ------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000, 100_000])
async def test_a_body_nested_too_deep_is_refused_and_changes_nothing(
    ada: DiscoClient, depth: int
) -> None:
    before = await ada.get("/v1/users/me")
    response = await ada.request("PATCH", "/v1/users/me", content=nested(depth), headers=JSON)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert f"{MAX_DEPTH} levels" in error["message"]
    assert error["details"] == [
        {"field": None, "message": error["message"], "type": "json_too_deep"}
    ]
    # Without a content type the body is still read as JSON, so it is still checked.
    response = await ada.request("PATCH", "/v1/users/me", content=nested(depth))
    assert_error(response, 400, "VALIDATION_ERROR")
    assert await ada.get("/v1/users/me") == before


async def test_a_body_at_the_limit_is_read_as_usual(ada: DiscoClient) -> None:
    response = await ada.request("PATCH", "/v1/users/me", content=nested(MAX_DEPTH), headers=JSON)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "bio"  # an ordinary answer about the field


async def test_brackets_inside_strings_are_not_nesting(ada: DiscoClient) -> None:
    bio = "[" * 200 + "{" * 200
    response = await ada.request("PATCH", "/v1/users/me", json={"bio": bio[:400]})
    assert response.status_code == 200, response.text
    assert response.json()["bio"] == bio[:400]


@pytest.mark.parametrize(
    ("service", "method", "path"),
    [
        ("auth", "POST", "/v1/auth/login"),
        ("users", "PATCH", "/v1/users/me"),
        ("match", "POST", "/v1/location"),
        ("safety", "POST", "/v1/safety/alerts"),
    ],
)
async def test_a_service_reached_directly_refuses_deep_bodies_too(
    backend: str, tmp_path: Path, service: str, method: str, path: str
) -> None:
    """In a cluster every service listens on its own port; none relies on the gateway."""
    async with backend_settings(backend, tmp_path) as settings:
        async with serve(settings, [service]) as running, httpx.AsyncClient() as http:
            response = await http.request(
                method, running.url + path, content=nested(5000), headers=JSON
            )
            assert_error(response, 400, "VALIDATION_ERROR")
            assert "nest" in response.json()["error"]["message"]


# --- methods and broken JSON --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/auth/signup", {"POST"}),
        ("PUT", "/v1/auth/login", {"POST"}),
        ("POST", "/v1/users/me", {"GET", "PATCH", "DELETE"}),
    ],
)
async def test_a_method_the_path_does_not_have_is_405_with_allow(
    client: DiscoClient, method: str, path: str, allowed: set[str]
) -> None:
    response = await client.request(method, path, json={})
    error = assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    assert method in error["message"]
    for name in allowed:
        assert name in error["message"]


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (b'{"email": "a@example.com" "password": "x"}', "line 1, column 27"),
        (b'{\n  "email": "a@example.com",\n  "password": \n}', "line 4, column 1"),
        (b'{"email": "a@example.com",', "line 1, column 27"),
        (b"\xff\xfe not even text", None),
    ],
)
async def test_a_malformed_json_body_names_no_field_and_says_where(
    client: DiscoClient, raw: bytes, where: str | None
) -> None:
    response = await client.request("POST", "/v1/auth/login", content=raw, headers=JSON)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "not valid JSON" in error["message"]
    if where is not None:
        assert where in error["message"]
    assert [d["field"] for d in error["details"]] == [None]


# --- nulls --------------------------------------------------------------------------------------
async def test_a_null_bio_clears_it(ada: DiscoClient) -> None:
    await ada.patch("/v1/users/me", json={"bio": "Counting machines."})
    cleared = await ada.patch("/v1/users/me", json={"bio": None})
    assert cleared["bio"] == ""
    assert (await ada.get("/v1/users/me"))["bio"] == ""


async def test_a_null_birth_date_clears_it(ada: DiscoClient) -> None:
    set_ = await ada.patch("/v1/users/me", json={"birthDate": "1990-12-10"})
    assert set_["birthDate"] == "1990-12-10"
    assert (await ada.patch("/v1/users/me", json={"birthDate": None}))["birthDate"] is None


@pytest.mark.parametrize(
    "field", ["firstName", "lastName", "interests", "activities", "mode", "visibility"]
)
async def test_a_null_for_a_field_that_cannot_be_empty_is_422_and_changes_nothing(
    ada: DiscoClient, field: str
) -> None:
    before = await ada.get("/v1/users/me")
    response = await ada.request("PATCH", "/v1/users/me", json={field: None, "bio": "changed?"})
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [d["field"] for d in error["details"]] == [field]
    after = await ada.get("/v1/users/me")
    assert {k: v for k, v in after.items() if k != "updatedAt"} == {
        k: v for k, v in before.items() if k != "updatedAt"
    }


async def test_a_null_phone_clears_it_and_a_null_name_or_email_is_422(ada: DiscoClient) -> None:
    contact = await ada.post(
        "/v1/users/me/emergency-contacts",
        {"name": "Mary", "email": unique_email("mary"), "phone": "+44 20 7946 0000"},
    )
    path = f"/v1/users/me/emergency-contacts/{contact['id']}"
    assert (await ada.patch(path, json={"phone": None}))["phone"] is None
    for field in ("name", "email"):
        response = await ada.request("PATCH", path, json={field: None})
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert [d["field"] for d in error["details"]] == [field]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/auth/signup", {"email": None, "password": None, "firstName": None, "lastName": None}),
        ("/v1/auth/login", {"email": None, "password": None}),
        ("/v1/auth/refresh", {"refreshToken": None}),
        ("/v1/auth/password-reset/request", {"email": None}),
        ("/v1/auth/password-reset/reset", {"token": None, "password": None}),
        ("/v1/auth/verify-email", {"token": None}),
        ("/v1/auth/2fa/verify", {"mfaToken": None, "code": None}),
    ],
)
async def test_nulls_for_required_auth_fields_are_422(
    client: DiscoClient, path: str, body: dict[str, Any]
) -> None:
    response = await client.request("POST", path, json=body)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert sorted(d["field"] for d in error["details"]) == sorted(body)


# --- NUL characters (found by the strengthened fuzz run: PostgreSQL refuses them in text) -------
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "/v1/users/me", {"bio": "a\u0000b"}, "bio"),
        ("PATCH", "/v1/users/me", {"firstName": "Ada\u0000"}, "firstName"),
        ("POST", "/v1/users/me/blocks", {"userId": "\u0000\u00d2\b"}, "userId"),
        ("POST", "/v1/auth/login", {"email": "a@example.com", "password": "pass\u0000word"}, None),
    ],
)
async def test_a_nul_in_body_text_is_422_naming_the_field(
    ada: DiscoClient, method: str, path: str, body: dict[str, Any], field: str | None
) -> None:
    before = await ada.get("/v1/users/me")
    response = await ada.request(method, path, json=body)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert "NUL" in error["details"][0]["message"]
    if field is not None:
        assert [d["field"] for d in error["details"]] == [field]
    assert (await ada.get("/v1/users/me"))["bio"] == before["bio"]
    assert await ada.get("/v1/users/me/blocks") == {"blocks": []}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/users/a%00b"),
        ("DELETE", "/v1/users/me/blocks/a%00b"),
        ("DELETE", "/v1/users/me/privacy-zones/a%00b"),
        ("POST", "/v1/connections/a%00b/accept"),
        ("DELETE", "/v1/matches/a%00b"),
        ("GET", "/v1/events/nearby?latitude=1&longitude=1&q=%00"),
    ],
)
async def test_a_nul_in_the_address_is_400(ada: DiscoClient, method: str, path: str) -> None:
    error = assert_error(await ada.request(method, path), 400, "VALIDATION_ERROR")
    assert "NUL" in error["message"]


def _soon(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


# Requests that create or replace something: there, null means what leaving the field out does.
NULLS_AS_ABSENT: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "PUT",
        "/v1/users/me/preferences",
        {"discoveryRadiusMeters": 200, "timeWindows": []},
        {"ageRange": None},
    ),
    (
        "POST",
        "/v1/users/me/privacy-zones",
        {"name": "home", "latitude": 48.85, "longitude": 2.35, "radiusMeters": 200},
        {"expiresAt": None},
    ),
    (
        "POST",
        "/v1/users/me/emergency-contacts",
        {"name": "Mary", "email": "mary@example.com"},
        {"phone": None},
    ),
    ("PUT", "/v1/discovery", {"enabled": False}, {"until": None}),
    ("POST", "/v1/location", {"latitude": 48.85, "longitude": 2.35}, {"accuracy": None}),
    (
        "POST",
        "/v1/events",
        {"title": "Chess", "latitude": 48.85, "longitude": 2.35},
        {"place": None, "capacity": None},
    ),
    (
        "POST",
        "/v1/safety/alerts",
        {"type": "MEDICAL", "location": {"latitude": 48.85, "longitude": 2.35}},
        {"message": None},
    ),
    (
        "POST",
        "/v1/safety/checkins",
        {},
        {"matchId": None, "place": None, "note": None, "location": None},
    ),
    (
        "POST",
        "/v1/safety/reports",
        {"userId": "0b8f4e0e-52f4-4a63-a7a8-6e2f4c1d9a10", "reason": "spam"},
        {"details": None},
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "nulls"), NULLS_AS_ABSENT)
async def test_null_is_the_same_as_leaving_a_field_out(
    ada: DiscoClient, method: str, path: str, body: dict[str, Any], nulls: dict[str, Any]
) -> None:
    if path == "/v1/events":
        body = {**body, "startsAt": _soon(24), "endsAt": _soon(26)}
    if path == "/v1/safety/checkins":
        body = {"dueAt": _soon(2)}
    without = await ada.request(method, path, json=body)
    with_nulls = await ada.request(method, path, json={**body, **nulls})
    assert without.status_code < 500, without.text
    assert with_nulls.status_code == without.status_code, with_nulls.text
    if with_nulls.status_code < 300 and with_nulls.content:
        answer = with_nulls.json()
        for name in nulls:
            if name in answer:
                assert answer[name] in (None, ""), (name, answer)

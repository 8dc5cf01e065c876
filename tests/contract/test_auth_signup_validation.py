"""Bad sign-ups get a 4xx in the error format and create nothing, on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from disco.client import ApiError, DiscoClient
from tests.conftest import PASSWORD, unique_email


def body(email: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "email": email,
        "password": PASSWORD,
        "firstName": "Bartholomew",
        "lastName": "Quist",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not ...}


async def assert_nothing_created(client: DiscoClient, email: str, password: str) -> None:
    with pytest.raises(ApiError) as err:
        await client.post("/v1/auth/login", {"email": email, "password": password})
    assert err.value.status == 401


def assert_error_format(err: ApiError, status: int) -> None:
    assert err.status == status, err
    assert err.code == "VALIDATION_ERROR"
    assert set(err.body["error"]) == {"code", "message", "details"}
    assert err.message


@pytest.mark.parametrize(
    ("case", "changes", "field"),
    [
        ("short password", {"password": "short1!"}, "password"),
        ("common password", {"password": "password123"}, "password"),
        ("common word with digits", {"password": "dragon2024!"}, "password"),
        ("own name as password", {"password": "Bartholomew2024!"}, "password"),
        ("service name as password", {"password": "Disco2024!!"}, "password"),
        ("password of spaces", {"password": " " * 12}, None),
        ("over-long password", {"password": "x" * 200}, "password"),
        ("unknown field", {"isAdmin": True}, "isAdmin"),
        ("password not a string", {"password": 12345678901}, "password"),
        ("name not a string", {"firstName": ["Ada"]}, "firstName"),
        ("blank name", {"lastName": "   "}, "lastName"),
        ("name on two lines", {"firstName": "Ada\nBcc: x@y.z"}, "firstName"),
        ("name with a tab", {"lastName": "Love\tlace"}, "lastName"),
        ("missing password", {"password": ...}, "password"),
        ("missing first name", {"firstName": ...}, "firstName"),
    ],
)
async def test_bad_signup_is_422_and_creates_nothing(
    client: DiscoClient, case: str, changes: dict[str, Any], field: str | None
) -> None:
    email = unique_email("badsignup")
    with pytest.raises(ApiError) as err:
        await client.post("/v1/auth/signup", body(email, **changes))
    assert_error_format(err.value, 422)
    if field is not None:
        assert field in {d["field"] for d in err.value.body["error"]["details"]}, case
    await assert_nothing_created(client, email, str(changes.get("password", PASSWORD)))


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@", "@example.com", "a b@example.com", "", 42, None]
)
async def test_bad_email_is_422(client: DiscoClient, email: Any) -> None:
    with pytest.raises(ApiError) as err:
        await client.post("/v1/auth/signup", body(email))
    assert_error_format(err.value, 422)
    assert "email" in {d["field"] for d in err.value.body["error"]["details"]}


@pytest.mark.parametrize(
    "raw", [b'{"email": "x@example.com", ', b"not json", b"[1, 2", b"\xff\xfe"]
)
async def test_malformed_json_is_400(client: DiscoClient, raw: bytes) -> None:
    email = unique_email("badjson")
    with pytest.raises(ApiError) as err:
        await client.post(
            "/v1/auth/signup",
            content=raw.replace(b"x@example.com", email.encode()),
            headers={"Content-Type": "application/json"},
        )
    assert err.value.status == 400
    assert err.value.code == "VALIDATION_ERROR"
    await assert_nothing_created(client, email, PASSWORD)


async def test_body_that_is_not_an_object_is_422(client: DiscoClient) -> None:
    with pytest.raises(ApiError) as err:
        await client.post("/v1/auth/signup", ["a", "list"])
    assert_error_format(err.value, 422)


async def test_a_password_is_used_exactly_as_typed(client: DiscoClient) -> None:
    email = unique_email("spaces")
    spaced = "  " + PASSWORD + "  "
    await client.signup(email, spaced, "Ada", "Lovelace")
    with pytest.raises(ApiError) as err:
        await client.login(email, PASSWORD)
    assert err.value.status == 401
    pair = await client.login(email, spaced)
    assert pair["token"]


async def test_email_is_case_insensitive_and_policy_passes_a_long_passphrase(
    client: DiscoClient,
) -> None:
    email = unique_email("Case")
    await client.signup(email.upper(), "correct horse battery staple", "Ada", "Lovelace")
    pair = await client.login(email.lower(), "correct horse battery staple")
    assert pair["user"]["email"] == email.lower()

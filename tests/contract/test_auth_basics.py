"""Sign-up, login, me and the token pair, on both backends."""

from __future__ import annotations

import pytest

from disco.client import ApiError, DiscoClient
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running


async def test_signup_returns_a_token_pair_and_me_answers(client: DiscoClient) -> None:
    email = unique_email("signup")
    pair = await client.signup(email, PASSWORD, "Ada", "Lovelace")
    assert pair["user"]["email"] == email
    assert pair["user"]["name"] == "Ada Lovelace"
    me = await client.get("/v1/auth/me")
    assert me["id"] == pair["user"]["id"]
    assert me["emailVerified"] is False


async def test_taken_email_is_a_conflict(client: DiscoClient) -> None:
    email = unique_email("taken")
    await client.signup(email, PASSWORD, "A", "B")
    with pytest.raises(ApiError) as err:
        await client.signup(email.upper(), PASSWORD, "A", "B")
    assert err.value.status == 409
    assert err.value.code == "CONFLICT"


async def test_login_with_a_wrong_password_is_401(disco: Running) -> None:
    email = unique_email("login")
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "A", "B")
        with pytest.raises(ApiError) as err:
            await c.login(email, PASSWORD + "x")
        assert err.value.status == 401
        pair = await c.login(email, PASSWORD)
        assert pair["token"]


async def test_the_provider_list_is_public_and_empty_when_none_is_configured(
    client: DiscoClient,
) -> None:
    """The web app asks before it shows any "Continue with …" button (no account needed)."""
    assert await client.get("/v1/auth/oauth/providers") == {"providers": []}

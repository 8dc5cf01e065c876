"""Roles: granted by an operator, carried by the next access token, never by the user."""

from __future__ import annotations

from typing import Any

import jwt

from disco.client import DiscoClient
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running
from tests.support.users import make_moderator


def _claims(client: DiscoClient) -> dict[str, Any]:
    assert client.token is not None
    claims: dict[str, Any] = jwt.decode(client.token, options={"verify_signature": False})
    return claims


async def test_a_granted_role_arrives_with_the_next_token_and_a_revoked_one_leaves(
    disco: Running,
) -> None:
    email = unique_email("moderator")
    async with DiscoClient(disco.url) as client:
        await client.signup(email, PASSWORD, "Mo", "Derator")
        assert "roles" not in _claims(client)

        await make_moderator(disco.system, client, email)
        assert _claims(client)["roles"] == ["moderator"]

        response = await disco.system.directory.client("auth").post(
            "/internal/auth/roles", json={"email": email, "role": "moderator", "granted": False}
        )
        assert response.status_code == 204
        await client.refresh()
        assert "roles" not in _claims(client)


async def test_unknown_roles_and_accounts_are_refused(disco: Running) -> None:
    auth = disco.system.directory.client("auth")
    unknown_role = await auth.post(
        "/internal/auth/roles", json={"email": "x@example.com", "role": "admin"}
    )
    assert unknown_role.status_code == 422
    unknown_account = await auth.post(
        "/internal/auth/roles", json={"email": unique_email("ghost"), "role": "moderator"}
    )
    assert unknown_account.status_code == 404

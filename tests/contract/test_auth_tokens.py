"""Only a genuine, current access token opens the API; signing keys rotate without a hitch."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disco.auth.keys import SigningKeys
from disco.client import ApiError, DiscoClient
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running
from tests.support.mailbox import Mailbox


def signing_keys(disco: Running) -> SigningKeys:
    keys: SigningKeys = disco.system.apps["auth"].state.keys
    return keys


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    head = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    return head + "." + b64(signature)


async def assert_refused(disco: Running, token: str) -> None:
    async with DiscoClient(disco.url, token=token) as c:
        with pytest.raises(ApiError) as err:
            await c.get("/v1/auth/me")
    assert err.value.status == 401
    assert err.value.code == "UNAUTHORIZED"


async def claims_of(user: DiscoClient) -> dict[str, Any]:
    assert user.token is not None
    claims: dict[str, Any] = jwt.decode(user.token, options={"verify_signature": False})
    return claims


async def test_the_genuine_token_is_accepted(disco: Running, user: DiscoClient) -> None:
    # The control for every refusal below: the same claims, signed properly, get in.
    claims = await claims_of(user)
    token = signing_keys(disco).sign(claims)
    async with DiscoClient(disco.url, token=token) as c:
        assert (await c.get("/v1/auth/me"))["id"] == claims["sub"]


async def test_a_refresh_token_is_not_an_access_token(disco: Running, user: DiscoClient) -> None:
    assert user.refresh_token is not None
    await assert_refused(disco, user.refresh_token)


async def test_a_reset_token_is_not_an_access_token(disco: Running, mailbox: Mailbox) -> None:
    email = unique_email("reset-as-bearer")
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "A", "B")
        await c.post("/v1/auth/password-reset/request", {"email": email})
        mails = await mailbox.wait_for(email, 2)
        token = next(m for m in mails if "Reset" in m.subject).token()
    await assert_refused(disco, token)


async def test_hs256_signed_with_the_public_key_is_refused(
    disco: Running, user: DiscoClient
) -> None:
    claims = await claims_of(user)
    async with DiscoClient(disco.url) as c:
        jwks = await c.get("/v1/auth/.well-known/jwks.json")
    public = jwks["keys"][0]
    header = {"alg": "HS256", "typ": "at+jwt", "kid": public["kid"]}
    # The classic confusion attack: HMAC keyed with the public key, in each form it is published.
    for secret in (public["x"].encode(), json.dumps(public).encode()):
        head = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
        signature = hmac.new(secret, head.encode(), hashlib.sha256).digest()
        await assert_refused(disco, head + "." + b64(signature))


async def test_alg_none_is_refused(disco: Running, user: DiscoClient) -> None:
    claims = await claims_of(user)
    kid = jwt.get_unverified_header(user.token or "")["kid"]
    for alg in ("none", "None", "NONE"):
        await assert_refused(disco, unsigned({"alg": alg, "typ": "at+jwt", "kid": kid}, claims))


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("aud", "someone-else"),
        ("iss", "https://evil.example"),
        ("exp", int(time.time()) - 60),
        ("iat", time.time() + 3600),  # issued in the future
    ],
)
async def test_wrong_claims_are_refused(
    disco: Running, user: DiscoClient, claim: str, value: Any
) -> None:
    claims = await claims_of(user) | {claim: value}
    await assert_refused(disco, signing_keys(disco).sign(claims))


@pytest.mark.parametrize("missing", ["exp", "sub", "sid", "aud", "iss", "jti"])
async def test_a_token_missing_a_claim_is_refused(
    disco: Running, user: DiscoClient, missing: str
) -> None:
    claims = await claims_of(user)
    del claims[missing]
    await assert_refused(disco, signing_keys(disco).sign(claims))


@pytest.mark.parametrize("typ", ["JWT", "id+jwt", "application/at+jwt+x", ""])
async def test_a_token_that_is_not_typed_at_jwt_is_refused(
    disco: Running, user: DiscoClient, typ: str
) -> None:
    claims = await claims_of(user)
    await assert_refused(disco, signing_keys(disco).sign(claims, typ=typ))


async def test_a_token_signed_by_an_unknown_key_is_refused(
    disco: Running, user: DiscoClient
) -> None:
    claims = await claims_of(user)
    kid = jwt.get_unverified_header(user.token or "")["kid"]
    stranger = Ed25519PrivateKey.generate()
    for header_kid in (kid, "no-such-kid"):
        token = jwt.encode(
            claims, stranger, algorithm="EdDSA", headers={"kid": header_kid, "typ": "at+jwt"}
        )
        await assert_refused(disco, token)


async def test_a_tampered_token_is_refused(disco: Running, user: DiscoClient) -> None:
    assert user.token is not None
    head, payload, signature = user.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(uuid.uuid4())
    await assert_refused(disco, f"{head}.{b64(json.dumps(claims).encode())}.{signature}")


async def test_key_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(
    disco: Running,
) -> None:
    email = unique_email("rotation")
    async with DiscoClient(disco.url) as before:
        await before.signup(email, PASSWORD, "A", "B")
        assert before.token is not None
        old_kid = jwt.get_unverified_header(before.token)["kid"]

        await disco.system.apps["auth"].state.rotate_keys()

        async with DiscoClient(disco.url) as after:
            await after.login(email, PASSWORD)
            assert after.token is not None
            new_kid = jwt.get_unverified_header(after.token)["kid"]
            assert new_kid != old_kid
            jwks = await after.get("/v1/auth/.well-known/jwks.json")
            assert {old_kid, new_kid} <= {k["kid"] for k in jwks["keys"]}

            # Verifiers refetch the JWKS for an unknown kid, at most every few seconds.
            deadline = asyncio.get_running_loop().time() + 15
            while True:
                try:
                    me = await after.get("/v1/auth/me")
                    break
                except ApiError as err:
                    if err.status != 401 or asyncio.get_running_loop().time() > deadline:
                        raise
                    await asyncio.sleep(0.5)
            assert me["email"] == email
        assert (await before.get("/v1/auth/me"))["email"] == email
        # Refreshing a session made under the old key is signed with the new one.
        pair = await before.refresh()
        assert jwt.get_unverified_header(pair["token"])["kid"] == new_kid

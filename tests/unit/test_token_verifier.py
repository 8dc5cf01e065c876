"""The verifier remembers good signatures, never good answers: revocation and expiry still bite."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disco.platform.errors import Unauthorized, Unavailable
from disco.platform.kv.memory import MemoryKV
from disco.platform.security import (
    TokenVerifier,
    declare_marks_complete,
    revoke_session,
    revoke_user_tokens,
)

ISSUER, AUDIENCE = "disco", "disco-api"


async def make_verifier(
    *, marks_complete: bool = True
) -> tuple[TokenVerifier, Ed25519PrivateKey, MemoryKV]:
    private = Ed25519PrivateKey.generate()
    jwk: dict[str, Any] = jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
    jwk.update(kid="k1", alg="EdDSA", use="sig")

    async def load_jwks() -> dict[str, Any]:
        return {"keys": [jwk]}

    kv = MemoryKV()
    if marks_complete:
        await declare_marks_complete(kv)  # as auth does at start
    verifier = TokenVerifier(load_jwks=load_jwks, kv=kv, issuer=ISSUER, audience=AUDIENCE)
    return verifier, private, kv


def token(private: Ed25519PrivateKey, *, exp: float, sid: str = "s1", sub: str = "u1") -> str:
    now = time.time()
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub,
        "sid": sid,
        "iat": round(now - 1, 3),
        "exp": int(exp),
        "jti": "j",
    }
    return jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": "k1", "typ": "at+jwt"})


async def test_a_revoked_session_is_refused_even_after_its_token_was_verified() -> None:
    verifier, private, kv = await make_verifier()
    access = token(private, exp=time.time() + 600)
    assert (await verifier.verify(access)).session_id == "s1"
    await revoke_session(kv, "s1", ttl=60)
    with pytest.raises(Unauthorized, match="revoked"):
        await verifier.verify(access)


async def test_tokens_issued_before_a_user_wide_revocation_are_refused_after_caching() -> None:
    verifier, private, kv = await make_verifier()
    access = token(private, exp=time.time() + 600)
    await verifier.verify(access)
    await revoke_user_tokens(kv, "u1", issued_before=time.time(), ttl=60)
    with pytest.raises(Unauthorized, match="revoked"):
        await verifier.verify(access)


async def test_a_token_that_expires_after_being_verified_is_refused() -> None:
    verifier, private, _ = await make_verifier()
    # Inside the 5 s leeway now, past it a moment later.
    access = token(private, exp=time.time() - 4)
    await verifier.verify(access)
    await asyncio.sleep(1.2)
    with pytest.raises(Unauthorized, match="expired"):
        await verifier.verify(access)


async def test_a_token_with_a_changed_byte_is_checked_afresh_and_refused() -> None:
    verifier, private, _ = await make_verifier()
    access = token(private, exp=time.time() + 600)
    await verifier.verify(access)
    forged = access[:-2] + ("A" if access[-2] != "A" else "B") + access[-1]
    with pytest.raises(Unauthorized):
        await verifier.verify(forged)


async def test_without_complete_revocation_marks_every_token_is_refused_not_admitted() -> None:
    """A store that restarted empty holds no marks: a logged-out token must not pass for a
    good one. Until auth has written the marks back, tokens get a 503."""
    verifier, private, kv = await make_verifier(marks_complete=False)
    access = token(private, exp=time.time() + 600)
    with pytest.raises(Unavailable):
        await verifier.verify(access)
    await declare_marks_complete(kv)
    assert (await verifier.verify(access)).user_id == "u1"


async def test_a_token_in_use_keeps_its_place_while_many_others_pass_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every open socket's token is checked again every few seconds; with more sockets than
    the cache holds, the tokens still in use must not be the ones forgotten (least recently
    used goes, not first in), or every check redoes the signature."""
    verifier, private, _ = await make_verifier()
    monkeypatch.setattr("disco.platform.security._VERIFIED_CACHE_SIZE", 8)
    checks = 0
    check = verifier._check_signature_and_claims

    async def counted(raw: str) -> dict[str, Any]:
        nonlocal checks
        checks += 1
        return await check(raw)

    monkeypatch.setattr(verifier, "_check_signature_and_claims", counted)
    in_use = token(private, exp=time.time() + 600, sid="kept", sub="kept")
    await verifier.verify(in_use)
    for n in range(40):  # five times the cache, the token in use checked between each
        await verifier.verify(token(private, exp=time.time() + 600, sid=f"s{n}", sub=f"u{n}"))
        await verifier.verify(in_use)
    assert checks == 1 + 40  # the token in use had its signature checked once

"""The ID token checks of the OIDC sign-in, on tokens no real provider would send."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey, RSAKey

from disco.auth.oidc.claims import verify_id_token

ISSUER = "https://id.example"
CLIENT = "disco"
NONCE = "n-0S6_WzA2Mj"
NOW = 1_800_000_000
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
PUBLISHED = KeySet([RSAKey.import_key(KEY.as_dict(private=False))])


def claims(**changes: Any) -> dict[str, Any]:
    base = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "248289761001",
        "nonce": NONCE,
        "iat": NOW - 5,
        "exp": NOW + 300,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict[str, Any], key: Any = KEY, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": "k1"}, payload, key)


def verify(token: str) -> dict[str, Any]:
    return verify_id_token(token, PUBLISHED, issuer=ISSUER, client_id=CLIENT, nonce=NONCE, now=NOW)


def test_a_good_token_gives_its_claims() -> None:
    assert verify(signed(claims()))["sub"] == "248289761001"
    assert verify(signed(claims(aud=[CLIENT, "other"], azp=CLIENT)))["sub"] == "248289761001"


@pytest.mark.parametrize(
    "changes",
    [
        {"nonce": "another sign-in"},
        {"nonce": None},
        {"aud": "someone-else"},
        {"aud": [CLIENT, "other"]},  # several audiences need azp naming us
        {"azp": "someone-else"},
        {"iss": "https://evil.example"},
        {"sub": None},
        {"exp": NOW - 120},
        {"exp": None},
        {"iat": NOW + 3600},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
def test_a_token_not_meant_for_this_sign_in_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(JoseError):
        verify(signed(claims(**changes)))


def test_a_token_signed_by_anyone_else_is_refused() -> None:
    impostor = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(JoseError):
        verify(signed(claims(), impostor))


def test_symmetric_and_unsigned_tokens_are_refused() -> None:
    # HS256 keyed with the public key's bytes: the classic algorithm confusion.
    public_n = KEY.as_dict(private=False)["n"]
    with pytest.raises(JoseError):
        verify(signed(claims(), OctKey.import_key(public_n), alg="HS256"))
    unsigned = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
        for part in ({"alg": "none"}, claims())
    )
    with pytest.raises(JoseError):
        verify(unsigned + ".")

"""The gateway forwards exactly the path it routed, and internal endpoints need a service
credential: an attacker's probe, played through the public port as the attacker did it."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest

from disco.client import DiscoClient
from disco.platform.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials
from tests.conftest import PASSWORD, unique_email
from tests.support.attack import TRAVERSALS, raw_request
from tests.support.backends import Running, backend_settings, serve
from tests.support.users import person


def _claims(client: DiscoClient) -> dict[str, Any]:
    assert client.token is not None
    claims: dict[str, Any] = jwt.decode(client.token, options={"verify_signature": False})
    return claims


def _internal_calls(victim_id: str, attacker_email: str) -> list[tuple[str, str, Any]]:
    """Every internal endpoint the probe reached: (method, path under /internal/, body)."""
    return [
        ("POST", "auth/roles", {"email": attacker_email, "role": "moderator", "granted": True}),
        ("GET", f"users/{victim_id}/emergency-contacts", None),
        ("GET", f"auth/users/{victim_id}/export", None),
        ("GET", f"users/{victim_id}/view?viewer={victim_id}&level=match", None),
        ("POST", f"auth/users/{victim_id}/disable", {"reason": "pwned"}),
        ("POST", "users/encryption/rotate", None),
    ]


async def test_no_spelling_of_a_dot_segment_reaches_an_internal_endpoint(disco: Running) -> None:
    ada = await person(disco.url, "Ada")
    mallory_email = unique_email("mallory")
    async with ada, DiscoClient(disco.url) as mallory:
        await mallory.signup(mallory_email, PASSWORD, "Mallory", "Probe")
        await ada.post(
            "/v1/users/me/emergency-contacts", {"name": "Mum", "email": unique_email("mum")}
        )
        assert ada.user is not None
        calls = _internal_calls(ada.user["id"], mallory_email)
        tried = 0
        for area in ("auth", "users", "safety", "discovery"):
            for spelling in TRAVERSALS:
                for method, rest, body in calls:
                    path, _, query = rest.partition("?")
                    target = f"/v1/{area}/" + spelling.format(
                        rest=path, rest_encoded=quote(path, safe="")
                    )
                    target += f"?{query}" if query else ""
                    answer = await raw_request(
                        disco.url, method, target, token=mallory.token, body=body
                    )
                    tried += 1
                    assert answer.status in (400, 404, 422), (target, answer.status, answer.body)
                    assert set(answer.json()["error"]) == {"code", "message", "details"}
        assert tried == 4 * len(TRAVERSALS) * len(calls)

        # Nothing happened: no role, Ada signs in as ever, and the gateway still serves.
        await mallory.refresh()
        assert "roles" not in _claims(mallory)
        await ada.login(ada.user["email"], PASSWORD)
        assert (await ada.get("/v1/users/me"))["firstName"] == "Ada"
        # The gateway itself has no /internal: the web client's static files answer 404.
        for method, rest, body in calls:
            answer = await raw_request(
                disco.url, method, f"/internal/{rest}", token=mallory.token, body=body
            )
            assert answer.status in (404, 405), (rest, answer.status)


async def test_canonical_paths_still_route(disco: Running) -> None:
    """The refusal is about ambiguity, not about escapes: an encoded character in an id is
    decoded once and forwarded encoded, as the client meant it."""
    async with DiscoClient(disco.url) as client:
        await client.signup(unique_email("plain"), PASSWORD, "Plain", "Path")
        answer = await raw_request(disco.url, "GET", "/v1/auth/%6de", token=client.token)
        assert answer.status == 200 and answer.json()["firstName"] == "Plain"
        answer = await raw_request(disco.url, "GET", "/v1/users/no%20one", token=client.token)
        assert answer.status == 404 and answer.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("service", ["auth", "users"])
async def test_a_service_refuses_internal_calls_without_its_credential(
    disco: Running, service: str
) -> None:
    """Straight at the service, as from inside the network: the gateway is not the guard."""
    app = disco.system.apps[service]
    ada = await person(disco.url, "Ada")
    async with ada:
        assert ada.user is not None
        path = {
            "auth": f"/internal/auth/users/{ada.user['id']}/export",
            "users": f"/internal/users/{ada.user['id']}/view?viewer={ada.user['id']}&level=match",
        }[service]
        own = disco.system.credentials
        wrong_key = ServiceCredentials([b"k" * 32], caller="mallory")
        expired = ServiceCredentials(
            disco.system.context.cipher.derive_secrets("service-credentials"),
            caller="gateway",
            now=lambda: 0.0,
        )
        other = "users" if service == "auth" else "auth"
        forged = {
            "none": {},
            "garbage": {SERVICE_TOKEN_HEADER: "not-a-token"},
            "wrong key": {SERVICE_TOKEN_HEADER: wrong_key.token_for(service)},
            "expired": {SERVICE_TOKEN_HEADER: expired.token_for(service)},
            "for another service": {SERVICE_TOKEN_HEADER: own.token_for(other)},
            "a user's token": {"authorization": f"Bearer {ada.token}"},
        }
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as bare:
            for what, headers in forged.items():
                response = await bare.get(path, headers=headers)
                assert response.status_code == 401, what
                assert response.json()["error"]["code"] == "UNAUTHORIZED", what
            genuine = await bare.get(path, headers={SERVICE_TOKEN_HEADER: own.token_for(service)})
            assert genuine.status_code == 200, genuine.text


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    backend: str, tmp_path: Path
) -> None:
    """Spoofing X-Forwarded-For does not buy a fresh rate-limit budget; behind a trusted
    proxy, the address it reports is the client's."""
    public = "/v1/auth/.well-known/jwks.json"
    for trusted, expect_limited in (([], True), (["127.0.0.1/32"], False)):
        async with backend_settings(
            backend, tmp_path / str(bool(trusted)), rate_limit_anonymous_per_minute=3
        ) as settings:
            settings = settings.model_copy(update={"trusted_proxies": trusted})
            async with serve(settings, ("auth", "gateway")) as running:
                async with httpx.AsyncClient(base_url=running.url) as http:
                    statuses = [
                        (
                            await http.get(public, headers={"X-Forwarded-For": f"10.0.0.{n}"})
                        ).status_code
                        for n in range(5)
                    ]
        assert (429 in statuses) is expect_limited, (trusted, statuses)

"""Sign-in with OpenID Connect against a real provider (panva/node-oidc-provider) on localhost:
authorization code flow with PKCE, state and nonce, on both backends."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pyotp
import pytest

from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, serve
from tests.support.net import free_port
from tests.support.oidc_provider import LocalProvider, local_oidc_provider, sign_in_at_provider

PROVIDER = "local"
# Where a client app (the web client) may have the provider send the browser instead.
APP_RETURN = f"/oauth-return/{PROVIDER}"
_logins = itertools.count()


@dataclass
class World:
    disco: Running
    provider: LocalProvider
    # The browser's cookies at Disco: the authorize step binds each sign-in to them.
    jar: CookieJar = field(default_factory=CookieJar)

    @property
    def callback(self) -> str:
        return f"{self.disco.url}/v1/auth/oauth/{PROVIDER}/callback"

    def api(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(
            base_url=self.disco.url, headers=headers, cookies=self.jar, timeout=15.0
        )

    async def authorize(self) -> str:
        """Disco's redirect to the provider."""
        async with self.api() as api:
            response = await api.get(f"/v1/auth/oauth/{PROVIDER}/authorize")
        assert response.status_code == 302, response.text
        return response.headers["location"]

    async def provider_answer(self, login: str, *, authorize_url: str | None = None) -> str:
        """The callback URL the provider sends a fresh browser back to after signing in."""
        url = authorize_url or await self.authorize()
        async with httpx.AsyncClient(timeout=15.0) as browser:
            return await sign_in_at_provider(browser, url, login=login, stop_at=self.callback)

    async def call_back(self, callback_url: str) -> httpx.Response:
        async with self.api() as api:
            return await api.get(callback_url)

    async def sign_in(self, login: str) -> dict[str, Any]:
        response = await self.call_back(await self.provider_answer(login))
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def me(self, token: str) -> dict[str, Any]:
        async with self.api(token) as api:
            response = await api.get("/v1/auth/me")
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture(scope="module")
async def world(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """Disco knows the provider by its issuer; the provider learns Disco's callback once Disco
    has a port (Disco reads the provider's metadata only at the first sign-in)."""
    data_dir: Path = tmp_path_factory.mktemp(f"oidc-{backend}")
    port = free_port()
    client_id, client_secret = "disco-test", secrets.token_urlsafe(24)
    oidc = {
        PROVIDER: {
            "issuer": f"http://127.0.0.1:{port}",
            "client_id": client_id,
            "client_secret": client_secret,
        }
    }
    async with backend_settings(backend, data_dir, oidc_providers=oidc) as settings:
        async with serve(settings) as running:
            async with local_oidc_provider(
                port,
                client_id=client_id,
                client_secret=client_secret,
                redirect_uris=[
                    f"{running.url}/v1/auth/oauth/{PROVIDER}/callback",
                    f"{running.url}{APP_RETURN}",
                ],
                log_file=data_dir / "oidc-provider.log",
            ) as provider:
                yield World(running, provider)


def login_name(prefix: str = "oidc") -> str:
    return f"{prefix}-{next(_logins)}-{secrets.token_hex(3)}@example.com"


def with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def assert_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert set(response.json()["error"]) == {"code", "message", "details"}


async def test_first_sign_in_creates_an_account_and_the_next_finds_it(world: World) -> None:
    login = login_name()
    first = await world.sign_in(login)
    assert first["user"]["email"] == login
    me = await world.me(first["token"])
    assert me["id"] == first["user"]["id"]
    assert me["emailVerified"] is True
    assert (me["firstName"], me["lastName"]) == ("Ada", "Lovelace")

    second = await world.sign_in(login)
    assert second["user"]["id"] == first["user"]["id"]
    assert second["token"] != first["token"]
    async with world.api() as api:
        refreshed = await api.post(
            "/v1/auth/refresh", json={"refreshToken": second["refreshToken"]}
        )
    assert refreshed.status_code == 200, refreshed.text


async def test_authorize_sends_pkce_state_and_nonce_and_the_provider_insists_on_pkce(
    world: World,
) -> None:
    url = await world.authorize()
    assert url.startswith(f"{world.provider.issuer}/auth?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert query["state"] and query["nonce"] and query["redirect_uri"] == world.callback
    assert "code_verifier" not in query

    # Without the challenge the provider refuses, and Disco passes the refusal on.
    answer = await world.provider_answer(
        login_name(), authorize_url=with_query(url, code_challenge=None, code_challenge_method=None)
    )
    answer_query = parse_qs(urlsplit(answer).query)
    assert answer_query["error"] == ["invalid_request"]
    assert "code" not in answer_query
    assert_error(await world.call_back(answer), 401)


async def test_links_an_account_whose_email_the_provider_verified(world: World) -> None:
    email = unique_email("oidc-link")
    async with world.api() as api:
        signup = await api.post(
            "/v1/auth/signup",
            json={"email": email, "password": PASSWORD, "firstName": "Pat", "lastName": "Doe"},
        )
    assert signup.status_code == 201, signup.text
    user_id = signup.json()["user"]["id"]

    pair = await world.sign_in(email)
    assert pair["user"]["id"] == user_id
    me = await world.me(pair["token"])
    assert me["emailVerified"] is True  # the provider vouched for the address
    assert me["firstName"] == "Pat"  # an existing profile is left as it was
    async with world.api() as api:
        login = await api.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200 and login.json()["user"]["id"] == user_id


async def test_an_unverified_email_neither_takes_over_nor_is_trusted(world: World) -> None:
    taken = login_name("unverified")
    async with world.api() as api:
        signup = await api.post(
            "/v1/auth/signup",
            json={"email": taken, "password": PASSWORD, "firstName": "Pat", "lastName": "Doe"},
        )
    assert signup.status_code == 201, signup.text
    assert_error(await world.call_back(await world.provider_answer(taken)), 409)

    fresh = login_name("unverified")
    pair = await world.sign_in(fresh)
    assert pair["user"]["id"] != signup.json()["user"]["id"]
    assert (await world.me(pair["token"]))["emailVerified"] is False


async def test_tampered_state_is_refused_and_a_callback_works_only_once(world: World) -> None:
    answer = await world.provider_answer(login_name())
    state = parse_qs(urlsplit(answer).query)["state"][0]
    assert_error(await world.call_back(with_query(answer, state=state[:-2] + "xy")), 422)
    assert_error(await world.call_back(with_query(answer, state=None)), 422)

    assert (await world.call_back(answer)).status_code == 200
    assert_error(await world.call_back(answer), 422)


async def test_a_bad_code_is_refused_and_spends_the_state(world: World) -> None:
    answer = await world.provider_answer(login_name())
    assert_error(await world.call_back(with_query(answer, code="not-the-code")), 401)
    assert_error(await world.call_back(answer), 422)


async def test_a_cancelled_sign_in_is_refused(world: World) -> None:
    async with httpx.AsyncClient(timeout=15.0) as browser:
        answer = await sign_in_at_provider(
            browser, await world.authorize(), login="", stop_at=world.callback, abort=True
        )
    assert parse_qs(urlsplit(answer).query)["error"] == ["access_denied"]
    refused = await world.call_back(answer)
    assert_error(refused, 401)
    assert refused.json()["error"]["details"] == {"providerError": "access_denied"}

    # What the provider's error says is echoed only when it is an OAuth error code.
    junk = with_query(await world.provider_answer(login_name()), error="<b>call us</b>")
    refused = await world.call_back(junk)
    assert_error(refused, 401)
    assert refused.json()["error"]["details"] is None


async def test_another_providers_answer_is_refused(world: World) -> None:
    answer = await world.provider_answer(login_name())
    assert_error(await world.call_back(with_query(answer, iss="https://evil.example")), 401)


async def test_unknown_provider_and_foreign_redirect(world: World) -> None:
    async with world.api() as api:
        assert_error(await api.get("/v1/auth/oauth/nope/authorize"), 404)
        assert_error(await api.get("/v1/auth/oauth/nope/callback?code=a&state=b"), 404)
        for foreign in ("https://evil.example/steal", f"{world.disco.url}/#/oauth"):
            response = await api.get(
                f"/v1/auth/oauth/{PROVIDER}/authorize", params={"redirectUri": foreign}
            )
            assert_error(response, 422)


async def test_a_client_app_may_take_the_answer_and_hand_it_on(world: World) -> None:
    app_return = f"{world.disco.url}{APP_RETURN}"
    async with world.api() as api:
        authorize = await api.get(
            f"/v1/auth/oauth/{PROVIDER}/authorize", params={"redirectUri": app_return}
        )
    assert authorize.status_code == 302
    async with httpx.AsyncClient(timeout=15.0) as browser:
        answer = await sign_in_at_provider(
            browser, authorize.headers["location"], login=login_name(), stop_at=app_return
        )
    # The app passes the provider's parameters on; the code exchange names the same return URL.
    response = await world.call_back(f"{world.callback}?{urlsplit(answer).query}")
    assert response.status_code == 200, response.text
    assert (await world.me(response.json()["token"]))["id"] == response.json()["user"]["id"]


async def test_a_disabled_account_is_refused(world: World) -> None:
    login = login_name()
    pair = await world.sign_in(login)
    auth = world.disco.system.directory.client("auth")
    disabled = await auth.post(
        f"/internal/auth/users/{pair['user']['id']}/disable", json={"reason": "test"}
    )
    assert disabled.status_code == 204
    assert_error(await world.call_back(await world.provider_answer(login)), 403)


async def test_two_factor_still_applies(world: World) -> None:
    pair = await world.sign_in(login_name())
    async with world.api(pair["token"]) as api:
        setup = await api.post("/v1/auth/2fa/setup")
        assert setup.status_code == 200, setup.text
        code = pyotp.TOTP(setup.json()["secret"]).now()
        enabled = await api.post("/v1/auth/2fa/enable", json={"code": code})
        assert enabled.status_code == 200, enabled.text
    recovery = enabled.json()["recoveryCodes"][0]

    me = await world.me(pair["token"])
    challenge = await world.call_back(await world.provider_answer(me["email"]))
    assert challenge.status_code == 200, challenge.text
    assert challenge.json()["mfaRequired"] is True
    assert "token" not in challenge.json()
    async with world.api() as api:
        verified = await api.post(
            "/v1/auth/2fa/verify",
            json={"mfaToken": challenge.json()["mfaToken"], "code": recovery},
        )
    assert verified.status_code == 200, verified.text
    assert verified.json()["user"]["id"] == pair["user"]["id"]


async def test_an_answer_is_refused_in_a_browser_that_did_not_start_the_sign_in(
    world: World,
) -> None:
    """Login CSRF: Mallory signs in at the provider as herself and sends Ada the link back to
    Disco; Ada's browser, which never started that sign-in, is not signed in as Mallory."""
    mallorys_answer = await world.provider_answer(login_name())
    adas_browser = World(world.disco, world.provider)  # her own, empty cookie jar
    refused = await adas_browser.call_back(mallorys_answer)
    assert_error(refused, 422)
    assert "another browser" in refused.json()["error"]["message"]
    assert_error(await world.call_back(mallorys_answer), 422)  # and the attempt is spent


async def test_an_app_binds_its_sign_in_with_its_own_secret(world: World) -> None:
    """An app that takes the provider's answer itself (no cookies) sends a secret of its own
    at the start and again, as a header, at the end; a link cannot set a header."""
    app_return = f"{world.disco.url}{APP_RETURN}"
    binding = secrets.token_urlsafe(32)
    async with httpx.AsyncClient(base_url=world.disco.url, timeout=15.0) as app:
        for bad in ("short", "x" * 200, "not/url-safe" * 4):
            params = {"redirectUri": app_return, "binding": bad}
            assert_error(await app.get(f"/v1/auth/oauth/{PROVIDER}/authorize", params=params), 422)
        authorize = await app.get(
            f"/v1/auth/oauth/{PROVIDER}/authorize",
            params={"redirectUri": app_return, "binding": binding},
        )
        assert authorize.status_code == 302 and "set-cookie" not in authorize.headers
    async with httpx.AsyncClient(timeout=15.0) as browser:
        answer = await sign_in_at_provider(
            browser, authorize.headers["location"], login=login_name(), stop_at=app_return
        )
    callback = f"{world.callback}?{urlsplit(answer).query}"
    async with httpx.AsyncClient(timeout=15.0) as app:
        wrong = await app.get(callback, headers={"X-Disco-OAuth-Binding": "w" * 43})
        assert_error(wrong, 422)
    # The wrong secret spent the attempt: start again, and finish with the right one.
    async with httpx.AsyncClient(base_url=world.disco.url, timeout=15.0) as app:
        authorize = await app.get(
            f"/v1/auth/oauth/{PROVIDER}/authorize",
            params={"redirectUri": app_return, "binding": binding},
        )
    async with httpx.AsyncClient(timeout=15.0) as browser:
        answer = await sign_in_at_provider(
            browser, authorize.headers["location"], login=login_name(), stop_at=app_return
        )
    async with httpx.AsyncClient(timeout=15.0) as app:
        done = await app.get(
            f"{world.callback}?{urlsplit(answer).query}",
            headers={"X-Disco-OAuth-Binding": binding},
        )
    assert done.status_code == 200, done.text

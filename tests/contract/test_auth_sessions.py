"""Refresh rotation and reuse detection, logout, and disabling an account, on both backends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis

from disco.client import ApiError, DiscoClient
from disco.platform.clock import FrozenClock
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, serve
from tests.support.poll import eventually


async def refresh_with(client: DiscoClient, refresh_token: str) -> dict[str, str]:
    pair: dict[str, str] = await client.post("/v1/auth/refresh", {"refreshToken": refresh_token})
    return pair


async def assert_refused(client: DiscoClient, method: str, path: str, **kwargs: object) -> None:
    with pytest.raises(ApiError) as err:
        await client.call(method, path, **kwargs)
    assert err.value.status == 401, err.value
    assert err.value.code == "UNAUTHORIZED"


async def test_refresh_rotates_the_pair(user: DiscoClient) -> None:
    first_refresh = user.refresh_token
    assert first_refresh is not None
    pair = await user.refresh()
    assert pair["refreshToken"] != first_refresh
    assert pair["token"]
    assert pair["user"]["id"] == user.user["id"]  # type: ignore[index]
    me = await user.get("/v1/auth/me")
    assert me["id"] == pair["user"]["id"]
    # And the new refresh token rotates in turn.
    again = await user.refresh()
    assert again["refreshToken"] not in (first_refresh, pair["refreshToken"])


async def test_replaying_a_used_refresh_token_revokes_the_whole_family(user: DiscoClient) -> None:
    stolen = user.refresh_token
    assert stolen is not None
    newest = await user.refresh()  # the rightful owner rotates first
    await assert_refused(user, "POST", "/v1/auth/refresh", json={"refreshToken": stolen})
    # The family is gone: the newest refresh token and its access token stop working too.
    await assert_refused(
        user, "POST", "/v1/auth/refresh", json={"refreshToken": newest["refreshToken"]}
    )
    await assert_refused(user, "GET", "/v1/auth/me")


async def test_replay_spares_the_users_other_sessions(disco: Running) -> None:
    email = unique_email("replay-other")
    async with DiscoClient(disco.url) as one, DiscoClient(disco.url) as other:
        await one.signup(email, PASSWORD, "A", "B")
        await other.login(email, PASSWORD)
        stolen = one.refresh_token
        assert stolen is not None
        await one.refresh()
        await assert_refused(one, "POST", "/v1/auth/refresh", json={"refreshToken": stolen})
        assert (await other.get("/v1/auth/me"))["email"] == email
        await other.refresh()


async def test_an_unknown_refresh_token_is_refused(client: DiscoClient) -> None:
    await assert_refused(client, "POST", "/v1/auth/refresh", json={"refreshToken": "made-up"})


async def test_logout_ends_the_refresh_family_and_the_live_access_token(user: DiscoClient) -> None:
    refresh_token = user.refresh_token
    assert refresh_token is not None
    await user.get("/v1/auth/me")
    await user.logout()
    await assert_refused(user, "GET", "/v1/auth/me")
    await assert_refused(user, "POST", "/v1/auth/refresh", json={"refreshToken": refresh_token})


async def test_logout_ends_only_that_session(disco: Running) -> None:
    email = unique_email("logout-one")
    async with DiscoClient(disco.url) as phone, DiscoClient(disco.url) as laptop:
        await phone.signup(email, PASSWORD, "A", "B")
        await laptop.login(email, PASSWORD)
        await phone.logout()
        assert (await laptop.get("/v1/auth/me"))["email"] == email


async def test_disabling_a_user_ends_live_tokens_and_blocks_login(disco: Running) -> None:
    email = unique_email("disabled")
    async with DiscoClient(disco.url) as c:
        pair = await c.signup(email, PASSWORD, "A", "B")
        await c.get("/v1/auth/me")
        auth = disco.system.directory.client("auth")
        response = await auth.post(
            f"/internal/auth/users/{pair['user']['id']}/disable", json={"reason": "banned"}
        )
        assert response.status_code == 204
        await assert_refused(c, "GET", "/v1/auth/me")
        await assert_refused(
            c, "POST", "/v1/auth/refresh", json={"refreshToken": pair["refreshToken"]}
        )
    async with DiscoClient(disco.url) as fresh:
        with pytest.raises(ApiError) as err:
            await fresh.login(email, PASSWORD)
        assert err.value.status == 401
        # Nothing tells a disabled account from a wrong password.
        assert err.value.message == "The email or password is incorrect."


async def test_disabling_an_unknown_user_is_404(disco: Running) -> None:
    auth = disco.system.directory.client("auth")
    response = await auth.post("/internal/auth/users/nobody/disable", json={"reason": "banned"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_sessions_end_when_idle_and_at_their_maximum_age(
    backend: str, tmp_path: Path
) -> None:
    # The server's clock starts an hour back and is moved by hand; only refresh is exercised,
    # which the real-time access-token check does not take part in.
    clock = FrozenClock(datetime.now(UTC) - timedelta(hours=1))
    async with backend_settings(
        backend, tmp_path, refresh_token_ttl_seconds=300, session_max_age_seconds=600
    ) as settings:
        async with serve(settings, clock=clock) as running, DiscoClient(running.url) as c:
            email = f"lifetime-{uuid.uuid4().hex[:8]}@example.com"
            refresh_token = (await c.signup(email, PASSWORD, "A", "B"))["refreshToken"]
            c.token = None
            # Used within its idle time, the session lives on...
            for _ in range(2):
                clock.advance(250)
                refresh_token = (await refresh_with(c, refresh_token))["refreshToken"]
            # ...but not past its maximum age (600 s), however recently it was refreshed.
            clock.advance(150)
            await assert_refused(
                c, "POST", "/v1/auth/refresh", json={"refreshToken": refresh_token}
            )

            # And a session left idle longer than the refresh token's lifetime ends too.
            idle = (await c.post("/v1/auth/login", {"email": email, "password": PASSWORD}))[
                "refreshToken"
            ]
            clock.advance(301)
            await assert_refused(c, "POST", "/v1/auth/refresh", json={"refreshToken": idle})


async def wipe_the_store(running: Running) -> None:
    """What a restart of a key-value store without persistence does: every key is gone."""
    settings = running.system.settings
    if settings.redis_url is None:
        running.system.kv._data.clear()  # type: ignore[attr-defined]
        return
    redis = Redis.from_url(settings.redis_url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{settings.namespace}:*")]
        # One command, so all are gone at once as in a restart: deleted one by one, auth could
        # write the marks back between two deletions and the next one take a mark away again.
        await redis.delete(*keys)
    finally:
        await redis.aclose()


async def test_a_logged_out_token_stays_refused_when_the_store_loses_its_marks(
    backend: str, tmp_path: Path
) -> None:
    async with (
        backend_settings(backend, tmp_path, revocation_marks_check_seconds=0.2) as settings,
        serve(settings, ("auth", "gateway")) as running,
        DiscoClient(running.url) as ada,
        DiscoClient(running.url) as bob,
    ):
        await ada.signup(unique_email("marks"), PASSWORD, "Ada", "Lovelace")
        await bob.signup(unique_email("marks"), PASSWORD, "Bob", "Builder")
        logged_out = ada.token
        await ada.logout()
        await wipe_the_store(running)

        async with DiscoClient(running.url, token=logged_out) as thief:
            # From the moment the marks are gone to long after: never admitted.
            for _ in range(10):
                response = await thief.request("GET", "/v1/auth/me")
                assert response.status_code in (401, 503), response.text

            async def restored() -> bool:
                return (await bob.request("GET", "/v1/auth/me")).status_code == 200

            await eventually(restored, what="auth to write the marks back")
            await assert_refused(thief, "GET", "/v1/auth/me")

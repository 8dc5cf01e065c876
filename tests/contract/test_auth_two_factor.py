"""Two-factor sign-in (TOTP and recovery codes), on both backends."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest

from disco.client import ApiError, DiscoClient
from disco.platform.clock import FrozenClock
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, serve

STEP = 30


def code_at(secret: str, steps_ahead: int = 0) -> str:
    """The TOTP code of the current step, or of one a step ahead (the server allows one step of
    drift either way), so a test can present a fresh, unused code without waiting 30 s."""
    return pyotp.TOTP(secret).at(time.time() + steps_ahead * STEP)


def wrong_code(secret: str) -> str:
    valid = {code_at(secret, s) for s in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in valid)


async def enable_two_factor(client: DiscoClient) -> tuple[str, list[str]]:
    setup = await client.post("/v1/auth/2fa/setup")
    enabled = await client.post("/v1/auth/2fa/enable", {"code": code_at(setup["secret"])})
    return setup["secret"], enabled["recoveryCodes"]


async def login(client: DiscoClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    return await client.post("/v1/auth/login", {"email": email, "password": password})


async def verify(client: DiscoClient, mfa_token: str, code: str) -> dict[str, Any]:
    return await client.post("/v1/auth/2fa/verify", {"mfaToken": mfa_token, "code": code})


async def test_setup_gives_a_secret_that_is_not_in_force_until_enabled(disco: Running) -> None:
    email = unique_email("mfa-setup")
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "Ada", "Lovelace")
        setup = await c.post("/v1/auth/2fa/setup")
        assert len(setup["secret"]) >= 32
        assert setup["otpauthUri"].startswith("otpauth://totp/")
        assert setup["secret"] in setup["otpauthUri"]
        assert (await c.get("/v1/auth/me"))["twoFactorEnabled"] is False
        # Not enabled yet: the password alone still signs in.
        pair = await login(c, email)
        assert pair["token"] and "mfaRequired" not in pair

        with pytest.raises(ApiError) as err:
            await c.post("/v1/auth/2fa/enable", {"code": wrong_code(setup["secret"])})
        assert err.value.status == 422
        assert (await c.get("/v1/auth/me"))["twoFactorEnabled"] is False


async def test_two_factor_sign_in_end_to_end(disco: Running) -> None:
    email = unique_email("mfa-flow")
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "Ada", "Lovelace")
        setup = await c.post("/v1/auth/2fa/setup")
        enable_code = code_at(setup["secret"])
        enabled = await c.post("/v1/auth/2fa/enable", {"code": enable_code})
        codes = enabled["recoveryCodes"]
        assert len(codes) == 10 and len(set(codes)) == 10
        assert (await c.get("/v1/auth/me"))["twoFactorEnabled"] is True

    async with DiscoClient(disco.url) as c:
        challenge = await login(c, email)
        assert challenge["mfaRequired"] is True
        assert "token" not in challenge and "refreshToken" not in challenge
        # The mfa token is no access token.
        with pytest.raises(ApiError) as err:
            await c.get("/v1/auth/me", headers={"Authorization": f"Bearer {challenge['mfaToken']}"})
        assert err.value.status == 401

        # The code that enabled two-factor was spent there: replaying it is refused.
        with pytest.raises(ApiError) as err:
            await verify(c, challenge["mfaToken"], enable_code)
        assert err.value.status == 401

        # A fresh code completes the sign-in with a normal token pair (a mistyped code does not
        # cost the sign-in attempt).
        fresh = code_at(setup["secret"], steps_ahead=1)
        pair = await verify(c, challenge["mfaToken"], fresh)
        c.token = pair["token"]
        me = await c.get("/v1/auth/me")
        assert me["email"] == email
        refreshed = await c.post("/v1/auth/refresh", {"refreshToken": pair["refreshToken"]})
        assert refreshed["token"]

        # The mfa token worked once.
        with pytest.raises(ApiError) as err:
            await verify(c, challenge["mfaToken"], code_at(setup["secret"], steps_ahead=1))
        assert err.value.status == 401

        # The same TOTP code on a new sign-in is a replay too.
        again = await login(c, email)
        with pytest.raises(ApiError) as err:
            await verify(c, again["mfaToken"], fresh)
        assert err.value.status == 401


async def test_recovery_codes_work_once_each(disco: Running) -> None:
    email = unique_email("mfa-recovery")
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "Ada", "Lovelace")
        _, codes = await enable_two_factor(c)

    async with DiscoClient(disco.url) as c:
        first = await login(c, email)
        # Typed loosely: upper case, without dashes.
        pair = await verify(c, first["mfaToken"], codes[0].upper().replace("-", ""))
        assert pair["token"]

        second = await login(c, email)
        with pytest.raises(ApiError) as err:
            await verify(c, second["mfaToken"], codes[0])
        assert err.value.status == 401
        pair = await verify(c, second["mfaToken"], codes[1])
        c.token = pair["token"]
        assert (await c.get("/v1/auth/me"))["email"] == email


async def test_disable_takes_a_code_and_then_the_password_is_enough(disco: Running) -> None:
    email = unique_email("mfa-disable")
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "Ada", "Lovelace")
        secret, codes = await enable_two_factor(c)
        with pytest.raises(ApiError) as err:
            await c.post("/v1/auth/2fa/disable", {"code": wrong_code(secret)})
        assert err.value.status == 422
        assert (await c.get("/v1/auth/me"))["twoFactorEnabled"] is True

        await c.post("/v1/auth/2fa/disable", {"code": codes[0]})
        assert (await c.get("/v1/auth/me"))["twoFactorEnabled"] is False
        with pytest.raises(ApiError) as err:
            await c.post("/v1/auth/2fa/disable", {"code": codes[1]})
        assert err.value.status == 409

    async with DiscoClient(disco.url) as c:
        pair = await login(c, email)
        assert pair["token"] and "mfaRequired" not in pair


async def test_enabling_signs_out_the_other_sessions(disco: Running) -> None:
    email = unique_email("mfa-others")
    async with DiscoClient(disco.url) as phone, DiscoClient(disco.url) as laptop:
        await phone.signup(email, PASSWORD, "Ada", "Lovelace")
        await laptop.login(email, PASSWORD)
        await enable_two_factor(phone)
        assert (await phone.get("/v1/auth/me"))["email"] == email
        with pytest.raises(ApiError) as err:
            await laptop.get("/v1/auth/me")
        assert err.value.status == 401
        with pytest.raises(ApiError) as err:
            await laptop.refresh()
        assert err.value.status == 401


async def test_setup_twice_while_enabled_is_a_conflict(user: DiscoClient) -> None:
    await enable_two_factor(user)
    with pytest.raises(ApiError) as err:
        await user.post("/v1/auth/2fa/setup")
    assert err.value.status == 409


async def test_two_factor_needs_a_bearer_token(client: DiscoClient) -> None:
    for path, body in [
        ("/v1/auth/2fa/setup", None),
        ("/v1/auth/2fa/enable", {"code": "123456"}),
        ("/v1/auth/2fa/disable", {"code": "123456"}),
    ]:
        with pytest.raises(ApiError) as err:
            await client.post(path, body)
        assert err.value.status == 401


async def test_failed_codes_are_throttled_like_failed_logins(backend: str, tmp_path: Path) -> None:
    # Delays long enough that a test never outlives one: nothing here moves a clock.
    async with backend_settings(
        backend, tmp_path, login_delay_seconds=600, login_max_delay_seconds=600
    ) as settings:
        async with serve(settings) as running:
            await _codes_are_throttled(running)


async def _codes_are_throttled(running: Running) -> None:
    email = unique_email("mfa-throttle")
    limit = running.system.settings.login_failures_per_account
    async with DiscoClient(running.url) as phone:
        await phone.signup(email, PASSWORD, "Ada", "Lovelace")
        secret, codes = await enable_two_factor(phone)

        async with DiscoClient(running.url) as c:
            challenge = await login(c, email)
            for _ in range(limit - 1):
                with pytest.raises(ApiError) as err:
                    await verify(c, challenge["mfaToken"], wrong_code(secret))
                assert err.value.status == 401
            # Signing in again with the right password buys no fresh batch of guesses.
            challenge = await login(c, email)
            with pytest.raises(ApiError) as err:
                await verify(c, challenge["mfaToken"], wrong_code(secret))
            assert err.value.status == 401
            # Held up: even a good code waits, and so does the password from a new device.
            with pytest.raises(ApiError) as err:
                await verify(c, challenge["mfaToken"], codes[0])
            assert (err.value.status, err.value.code) == (429, "RATE_LIMITED")
            assert err.value.retry_after == 600
            with pytest.raises(ApiError) as err:
                await login(c, email)
            assert err.value.status == 429
        # A device that signed in before still gets past the password, but codes are counted
        # per account, wherever they come from: whoever is guessing them knows the password.
        answer = await phone.post(
            "/v1/auth/login",
            {"email": email, "password": PASSWORD, "deviceToken": phone.device_token},
        )
        assert answer["mfaRequired"] is True
        with pytest.raises(ApiError) as err:
            await verify(phone, answer["mfaToken"], codes[1])
        assert err.value.status == 429


async def test_changing_two_factor_needs_a_recent_sign_in(backend: str, tmp_path: Path) -> None:
    # The server's clock starts 20 minutes back, so the sign-up is old by the time it moves on
    # while its (hour-long) access token is still good by the real-time verifier.
    clock = FrozenClock(datetime.now(UTC) - timedelta(minutes=20))
    async with backend_settings(backend, tmp_path, access_token_ttl_seconds=3600) as settings:
        async with serve(settings, clock=clock) as running:
            async with DiscoClient(running.url) as c:
                email = f"mfa-recent-{uuid.uuid4().hex[:8]}@example.com"
                await c.signup(email, PASSWORD, "Ada", "Lovelace")
                setup = await c.post("/v1/auth/2fa/setup")
                clock.advance(20 * 60)
                await c.get("/v1/auth/me")
                with pytest.raises(ApiError) as err:
                    await c.post("/v1/auth/2fa/enable", {"code": code_at(setup["secret"])})
                assert err.value.status == 403
                assert (await c.get("/v1/auth/me"))["twoFactorEnabled"] is False

                await c.login(email, PASSWORD)
                await c.post("/v1/auth/2fa/enable", {"code": code_at(setup["secret"])})
                assert (await c.get("/v1/auth/me"))["twoFactorEnabled"] is True


@pytest.mark.parametrize("code", ["\uff11\uff12\uff13\uff14\uff15\uff16", "' OR 1=1 --", "0" * 64])
async def test_odd_codes_are_refused_cleanly(disco: Running, code: str) -> None:
    email = unique_email("mfa-odd")
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "Ada", "Lovelace")
        await c.post("/v1/auth/2fa/setup")
        with pytest.raises(ApiError) as err:
            await c.post("/v1/auth/2fa/enable", {"code": code})
        assert err.value.status == 422
        _, codes = await enable_two_factor(c)
        with pytest.raises(ApiError) as err:
            await c.post("/v1/auth/2fa/disable", {"code": code})
        assert err.value.status == 422
    async with DiscoClient(disco.url) as c:
        challenge = await login(c, email)
        with pytest.raises(ApiError) as err:
            await verify(c, challenge["mfaToken"], code)
        assert err.value.status == 401
        assert (await verify(c, challenge["mfaToken"], codes[0]))["token"]

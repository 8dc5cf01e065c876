"""Failed sign-ins are throttled per account and per IP, on both backends."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from disco.client import ApiError, DiscoClient
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox


async def failed_login(client: DiscoClient, email: str, password: str) -> ApiError:
    with pytest.raises(ApiError) as err:
        await client.login(email, password)
    return err.value


async def test_an_account_locks_after_its_failures_even_for_the_right_password(
    disco: Running,
) -> None:
    email = unique_email("throttle-acct")
    limit = disco.system.settings.login_failures_per_account
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "A", "B")
    async with DiscoClient(disco.url) as c:
        for _ in range(limit):
            assert (await failed_login(c, email, PASSWORD + "?")).status == 401
        locked = await failed_login(c, email, PASSWORD)
        assert locked.status == 429
        assert locked.code == "RATE_LIMITED"
        # Other accounts from the same address are not affected.
        other = unique_email("throttle-other")
        await c.signup(other, PASSWORD, "A", "B")
        await c.login(other, PASSWORD)


async def test_parallel_guesses_cannot_outrun_the_lock(disco: Running) -> None:
    email = unique_email("throttle-burst")
    limit = disco.system.settings.login_failures_per_account
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "A", "B")
    async with DiscoClient(disco.url) as c:
        errors = await asyncio.gather(
            *(failed_login(c, email, f"guess number {n}") for n in range(limit * 3))
        )
    statuses = sorted(e.status for e in errors)
    assert statuses == [401] * limit + [429] * (limit * 2)


async def test_an_unknown_email_locks_the_same_way(disco: Running) -> None:
    email = unique_email("throttle-nobody")
    limit = disco.system.settings.login_failures_per_account
    async with DiscoClient(disco.url) as c:
        for _ in range(limit):
            assert (await failed_login(c, email, PASSWORD)).status == 401
        assert (await failed_login(c, email, PASSWORD)).status == 429


async def test_a_successful_login_clears_the_count(disco: Running) -> None:
    email = unique_email("throttle-clear")
    limit = disco.system.settings.login_failures_per_account
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "A", "B")
        for _ in range(limit - 1):
            await failed_login(c, email, "wrong wrong wrong")
        await c.login(email, PASSWORD)
        for _ in range(limit - 1):
            await failed_login(c, email, "wrong wrong wrong")
        await c.login(email, PASSWORD)


async def test_a_password_reset_unlocks_the_account(disco: Running, mailbox: Mailbox) -> None:
    email = unique_email("throttle-reset")
    limit = disco.system.settings.login_failures_per_account
    async with DiscoClient(disco.url) as c:
        await c.signup(email, PASSWORD, "A", "B")
    async with DiscoClient(disco.url) as c:
        for _ in range(limit):
            await failed_login(c, email, "wrong wrong wrong")
        assert (await failed_login(c, email, PASSWORD)).status == 429
        await c.post("/v1/auth/password-reset/request", {"email": email})
        mails = await mailbox.wait_for(email, 2)
        token = next(m for m in mails if "Reset" in m.subject).token()
        new_password = "a freshly chosen passphrase"
        await c.post("/v1/auth/password-reset/reset", {"token": token, "password": new_password})
        await c.login(email, new_password)


async def test_an_address_locks_after_its_failures(backend: str, tmp_path: Path) -> None:
    async with backend_settings(
        backend, tmp_path, login_failures_per_ip=3, login_failures_per_account=100
    ) as settings:
        async with serve(settings) as running, DiscoClient(running.url) as c:
            email = f"ip-{uuid.uuid4().hex[:8]}@example.com"
            await c.signup(email, PASSWORD, "A", "B")
            # Three different accounts, one failure each: the address, not an account, is out.
            for n in range(3):
                error = await failed_login(c, f"guess-{n}-{uuid.uuid4().hex[:6]}@example.com", "x")
                assert error.status == 401
            locked = await failed_login(c, email, PASSWORD)
            assert locked.status == 429
            assert locked.code == "RATE_LIMITED"
            assert locked.body["error"]["message"]

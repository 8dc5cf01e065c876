"""Sign-in throttling, played as the attacker through the public API, on both backends.

Guessing is slowed by delays that double with each failure (429 with Retry-After), per account,
per address and per (account, address); no one's failures lock a person out of their own
account: a device that signed in before presents its device token and is throttled on its own.

The system's clock is frozen, so a test waits a delay out by moving it; client addresses are
real: each client binds its own loopback address (127.0.x.y), which the gateway passes on.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from disco.client import ApiError, DiscoClient
from disco.config import Settings
from disco.platform.clock import FrozenClock
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox

# Safety sends the mails (the one notification path); users makes the profile at sign-up.
SERVICES = ("auth", "users", "safety", "gateway")
_addresses = itertools.count(2)


def new_address() -> str:
    """A loopback address no other client of this session uses."""
    n = next(_addresses)
    return f"127.0.{n // 250 + 1}.{n % 250 + 2}"


@dataclass
class Env:
    running: Running
    clock: FrozenClock
    mailbox: Mailbox

    @property
    def settings(self) -> Settings:
        return self.running.system.settings

    def device(self, address: str | None = None, device_token: str | None = None) -> DiscoClient:
        """A client (a device) whose requests come from ``address``."""
        transport = httpx.AsyncHTTPTransport(local_address=address or new_address())
        return DiscoClient(self.running.url, transport=transport, device_token=device_token)


@pytest.fixture(scope="module")
async def env(
    backend: str, mailbox: Mailbox, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Env]:
    # Behind real time, so moving it on never makes a token look issued in the future.
    clock = FrozenClock(datetime.now(UTC) - timedelta(hours=6))
    data_dir: Path = tmp_path_factory.mktemp(f"throttle-{backend}")
    async with backend_settings(
        backend,
        data_dir,
        login_failures_per_ip=Settings.model_fields["login_failures_per_ip"].default,
        smtp_url=mailbox.url,
    ) as settings:
        async with serve(settings, SERVICES, clock=clock) as running:
            yield Env(running, clock, mailbox)


async def try_login(client: DiscoClient, email: str, password: str) -> tuple[int, int | None]:
    """The status of a sign-in, and the Retry-After of a 429."""
    try:
        await client.login(email, password)
    except ApiError as error:
        if error.status == 429:
            assert error.code == "RATE_LIMITED"
            assert set(error.body["error"]) == {"code", "message", "details"}
            assert error.retry_after is not None, error.headers
        return error.status, error.retry_after
    return 200, None


async def guess(env: Env, client: DiscoClient, email: str, password: str) -> int:
    """One guess that is really checked: each delay is waited out (on the clock) first. The
    status it got in the end (429 if it was still held up after twenty waits)."""
    for _ in range(20):
        status, wait = await try_login(client, email, password)
        if status != 429 or wait is None:
            return status
        env.clock.advance(wait)
    return status


async def attack(env: Env, email: str, guesses: int, *, one_address_in: int = 2) -> list[int]:
    """``guesses`` wrong passwords for ``email``: every ``one_address_in``-th from one address,
    the others each from a new one; every delay waited out."""
    shared = new_address()
    statuses = []
    for n in range(guesses):
        address = shared if n % one_address_in == 0 else new_address()
        async with env.device(address) as attacker:
            statuses.append(await guess(env, attacker, email, f"guess number {n}"))
    return statuses


async def signed_up(env: Env, prefix: str, address: str | None = None) -> DiscoClient:
    client = env.device(address)
    await client.signup(unique_email(prefix), PASSWORD, "Ada", "Lovelace")
    return client


def email_of(client: DiscoClient) -> str:
    assert client.user is not None
    return str(client.user["email"])


# --- the attacks of issue 9 ---------------------------------------------------------------------
async def test_fifty_wrong_passwords_from_anywhere_do_not_keep_ada_off_her_device(env: Env) -> None:
    """(a) 50 guesses for Ada, half from one address and half from 25 others, each delay
    waited out: every one is checked (so the throttle was pushed to its longest delay), and
    Ada's phone signs in at once, with no time passing."""
    phone = await signed_up(env, "ada-phone")
    try:
        email = email_of(phone)
        statuses = await attack(env, email, 50)
        pair = await phone.login(email, PASSWORD)
        assert pair["token"] and pair["deviceToken"]
        assert phone.device_token == pair["deviceToken"]  # the SDK keeps the newest
        assert statuses == [401] * 50
        # The attack is still being held up: a guess right now waits the longest delay.
        async with env.device() as attacker:
            status, wait = await try_login(attacker, email, "one more guess")
        assert (status, wait) == (429, env.settings.login_max_delay_seconds)
    finally:
        await phone.close()


async def test_a_crowd_behind_one_address_signs_in_while_one_of_them_guesses(env: Env) -> None:
    """(b) 30 people behind one address (an office, a campus NAT); one guesses 40 passwords
    of the others' accounts and of accounts that do not exist. The other 29, on devices that
    signed in before, sign in at once; one of them on a new device waits a delay, never
    the old 15 minutes."""
    office = new_address()
    crowd = [await signed_up(env, f"crowd{n}", office) for n in range(29)]
    try:
        emails = [email_of(c) for c in crowd]
        async with env.device(office) as guesser:
            for n in range(40):
                target = emails[n % 29] if n % 2 else unique_email("nobody")
                assert await guess(env, guesser, target, f"guess number {n}") == 401
        signing_in = (c.login(e, PASSWORD) for c, e in zip(crowd, emails, strict=True))
        results = await asyncio.gather(*signing_in)
        assert all(r["token"] for r in results)
        # The address is over its free failures: a device it has never seen waits, then gets in.
        async with env.device(office) as new_laptop:
            status, wait = await try_login(new_laptop, emails[0], PASSWORD)
            assert status == 429
            assert wait is not None and 1 <= wait <= env.settings.login_max_delay_seconds
            env.clock.advance(wait)
            assert (await new_laptop.login(emails[0], PASSWORD))["deviceToken"]
    finally:
        for client in crowd:
            await client.close()


async def test_a_guesser_waits_longer_after_each_failure(env: Env) -> None:
    """(c) One address guessing one account: 429 with a Retry-After that doubles after each
    failed guess, up to the longest delay. Asking again during a delay changes nothing."""
    victim = await signed_up(env, "victim")
    await victim.close()
    email = email_of(victim)
    longest = int(env.settings.login_max_delay_seconds)
    waits: list[int] = []
    async with env.device() as guesser:
        for n in range(14):
            status, wait = await try_login(guesser, email, f"guess number {n}")
            if status == 429:
                assert wait is not None
                with pytest.raises(ApiError) as refused:
                    await guesser.login(email, "at once, again")
                assert (refused.value.status, refused.value.retry_after) == (429, wait)
                assert f"try again in {wait} seconds" in refused.value.message
                waits.append(wait)
                env.clock.advance(wait)
                status, _ = await try_login(guesser, email, f"guess number {n} again")
            assert status == 401
    first = env.settings.login_delay_seconds
    assert len(waits) >= 10
    assert waits == [min(longest, int(first * 2**k)) for k in range(len(waits))]


async def test_a_new_device_for_ada_during_an_attack_waits_a_delay_not_fifteen_minutes(
    env: Env,
) -> None:
    """(d) While the attack goes on, Ada's new laptop is answered 429 with a Retry-After of
    at most the longest delay (60 s by default); the first attempt after it is hers, and from
    then on the laptop is a known device."""
    phone = await signed_up(env, "ada-new-laptop")
    await phone.close()
    email = email_of(phone)
    assert await attack(env, email, 30) == [401] * 30
    async with env.device() as laptop:
        status, wait = await try_login(laptop, email, PASSWORD)
        assert status == 429
        assert wait is not None and 1 <= wait <= env.settings.login_max_delay_seconds
        env.clock.advance(wait)
        assert (await laptop.login(email, PASSWORD))["deviceToken"]
        assert await attack(env, email, 10) == [401] * 10
        assert (await laptop.login(email, PASSWORD))["token"]  # at once


# --- how each scope behaves ---------------------------------------------------------------------
async def test_past_its_free_failures_an_untrusted_attempt_waits_even_with_the_right_password(
    env: Env,
) -> None:
    ada = await signed_up(env, "throttle-acct")
    await ada.close()
    email = email_of(ada)
    free = env.settings.login_failures_per_account_and_ip
    async with env.device() as c:
        for _ in range(free):
            assert (await try_login(c, email, PASSWORD + "?"))[0] == 401
        status, wait = await try_login(c, email, PASSWORD)
        assert (status, wait) == (429, int(env.settings.login_delay_seconds))
        # Other accounts from the same address are not affected.
        other = unique_email("throttle-other")
        await c.signup(other, PASSWORD, "A", "B")
        c.device_token = None
        await c.login(other, PASSWORD)


async def test_parallel_guesses_cannot_outrun_the_throttle(env: Env) -> None:
    ada = await signed_up(env, "throttle-burst")
    await ada.close()
    email = email_of(ada)
    free = min(
        env.settings.login_failures_per_account, env.settings.login_failures_per_account_and_ip
    )
    async with env.device() as c:
        results = await asyncio.gather(
            *(try_login(c, email, f"guess number {n}") for n in range(free * 5))
        )
    assert sorted(status for status, _ in results) == [401] * free + [429] * (free * 4)


async def test_an_unknown_email_is_throttled_the_same_way(env: Env) -> None:
    email = unique_email("throttle-nobody")
    free = env.settings.login_failures_per_account_and_ip
    async with env.device() as c:
        for _ in range(free):
            assert (await try_login(c, email, PASSWORD))[0] == 401
        assert (await try_login(c, email, PASSWORD))[0] == 429


async def test_a_successful_login_clears_the_counts(env: Env) -> None:
    ada = await signed_up(env, "throttle-clear")
    await ada.close()
    email = email_of(ada)
    free = env.settings.login_failures_per_account_and_ip
    async with env.device() as c:
        for _ in range(2):
            c.device_token = None  # an untrusted device each time
            for _ in range(free - 1):
                assert (await try_login(c, email, "wrong wrong wrong"))[0] == 401
            await c.login(email, PASSWORD)


async def test_a_password_reset_lets_the_owner_straight_back_in(env: Env) -> None:
    ada = await signed_up(env, "throttle-reset")
    await ada.close()
    email = email_of(ada)
    async with env.device() as c:
        assert await attack(env, email, 12, one_address_in=1) == [401] * 12
        status, _ = await try_login(c, email, PASSWORD)
        assert status == 429
        await c.post("/v1/auth/password-reset/request", {"email": email})
        mails = await env.mailbox.wait_for(email, 2)
        token = next(m for m in mails if "Reset" in m.subject).token()
        new_password = "a freshly chosen passphrase"
        await c.post("/v1/auth/password-reset/reset", {"token": token, "password": new_password})
        await c.login(email, new_password)


async def test_a_known_device_is_throttled_on_its_own(env: Env) -> None:
    """A stolen device token buys its thief no more than its own delays; the owner's other
    device is not held up by them, and a token is good only for the account it was issued
    for."""
    phone = await signed_up(env, "throttle-device")
    email = email_of(phone)
    laptop = env.device()
    await laptop.login(email, PASSWORD)
    try:
        stolen = env.device(device_token=phone.device_token)
        async with stolen:
            for _ in range(env.settings.login_failures_per_device):
                assert (await try_login(stolen, email, "wrong wrong wrong"))[0] == 401
            assert (await try_login(stolen, email, "wrong wrong wrong"))[0] == 429
        assert (await laptop.login(email, PASSWORD))["token"]
        # Another account's token is no token: that attempt is counted as untrusted.
        other = await signed_up(env, "throttle-device-other")
        await other.close()
        borrowed = env.device(device_token=phone.device_token)
        async with borrowed:
            free = env.settings.login_failures_per_account_and_ip
            for _ in range(free):
                assert (await try_login(borrowed, email_of(other), "wrong wrong wrong"))[0] == 401
            assert (await try_login(borrowed, email_of(other), PASSWORD))[0] == 429
    finally:
        await phone.close()
        await laptop.close()


@pytest.mark.parametrize("token", ["garbage", "a.1.b", "x" * 200, "a.99999999999.b"])
async def test_a_forged_device_token_is_simply_untrusted(env: Env, token: str) -> None:
    ada = await signed_up(env, "throttle-forged")
    await ada.close()
    async with env.device(device_token=token) as c:
        pair = await c.login(email_of(ada), PASSWORD)
        assert pair["deviceToken"] != token


@pytest.mark.parametrize("token", ["", "not a token", "x" * 257, 7])
async def test_a_malformed_device_token_is_422(env: Env, token: object) -> None:
    async with env.device() as c:
        response = await c.request(
            "POST",
            "/v1/auth/login",
            json={"email": unique_email("x"), "password": PASSWORD, "deviceToken": token},
        )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "deviceToken"

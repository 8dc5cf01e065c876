"""The sign-in throttle's arithmetic and its device tokens, on the in-process KV and a frozen
clock (the contract suite plays the attacks through the API)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from disco.auth.throttle import DeviceTokens, LoginThrottle
from disco.config import Settings
from disco.platform.clock import FrozenClock
from disco.platform.errors import RateLimited
from disco.platform.kv.memory import MemoryKV
from disco.platform.security import FieldCipher


def context(clock: FrozenClock, **settings: Any) -> Any:
    """What the throttle takes from a ServiceContext."""
    return SimpleNamespace(
        settings=Settings(**settings),
        clock=clock,
        kv=MemoryKV(),
        cipher=FieldCipher([FieldCipher.generate_key()]),
    )


# Any instant, to the microsecond: the delays are whole seconds from wherever the clock is.
START = datetime(2026, 3, 7, 11, 22, 33, 987_654, tzinfo=UTC)


async def fail_until_held(throttle: LoginThrottle, clock: FrozenClock, rounds: int) -> list[int]:
    """The Retry-After of each delay one address meets guessing one account, each waited out."""
    waits = []
    while len(waits) < rounds:
        try:
            attempt = await throttle.password("ada@example.com", "10.0.0.1", None)
        except RateLimited as held:
            wait = int(held.headers["Retry-After"])
            waits.append(wait)
            clock.advance(wait)
            continue
        async with attempt:
            await attempt.failed()
    return waits


async def test_delays_double_to_the_longest_in_whole_seconds() -> None:
    clock = FrozenClock(START)
    throttle = LoginThrottle(context(clock, login_max_delay_seconds=60))
    assert await fail_until_held(throttle, clock, 9) == [1, 2, 4, 8, 16, 32, 60, 60, 60]


async def test_an_attempt_left_without_an_outcome_is_given_back() -> None:
    clock = FrozenClock(START)
    throttle = LoginThrottle(context(clock, login_failures_per_account_and_ip=1))
    for _ in range(3):
        with pytest.raises(RuntimeError):
            async with await throttle.password("ada@example.com", "10.0.0.1", None):
                raise RuntimeError("the database went away mid-check")
    attempt = await throttle.password("ada@example.com", "10.0.0.1", None)  # still admitted
    async with attempt:
        await attempt.succeeded()


def test_a_device_token_names_its_device_for_its_account_only() -> None:
    clock = FrozenClock(START)
    tokens = DeviceTokens(context(clock, login_device_token_ttl_days=1))
    token = tokens.issue("Ada@Example.com")
    device = tokens.device_of(token, "ada@example.com")
    assert device is not None
    assert tokens.device_of(tokens.issue("ada@example.com"), "ada@example.com") != device
    assert tokens.device_of(token, "bob@example.com") is None
    nonce, issued, mac = token.split(".")
    assert tokens.device_of(f"{nonce}.{int(issued) + 1}.{mac}", "ada@example.com") is None
    assert tokens.device_of(f"{nonce}x.{issued}.{mac}", "ada@example.com") is None
    clock.advance(86400 + 1)
    assert tokens.device_of(token, "ada@example.com") is None  # expired


def test_another_key_ring_forgets_every_device() -> None:
    clock = FrozenClock(START)
    token = DeviceTokens(context(clock)).issue("ada@example.com")
    assert DeviceTokens(context(clock)).device_of(token, "ada@example.com") is None

"""The rate limiter's arithmetic, on the embedded KV with a clock the test moves."""

from __future__ import annotations

import pytest

from disco.config import Settings
from disco.gateway.ratelimit import RateLimit, RateLimiter
from disco.platform.errors import RateLimited
from disco.platform.kv.memory import MemoryKV


class Ticks:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def _limiter(ticks: Ticks, anonymous: int = 3, user: int = 5) -> RateLimiter:
    settings = Settings(rate_limit_anonymous_per_minute=anonymous, rate_limit_user_per_minute=user)
    return RateLimiter(MemoryKV(monotonic=ticks), settings)


async def test_the_request_past_the_budget_is_refused_with_the_headers() -> None:
    ticks = Ticks()
    limiter = _limiter(ticks)
    states = [await limiter.check(user_id=None, client_ip="1.2.3.4") for _ in range(3)]
    assert [s.remaining for s in states] == [2, 1, 0]
    ticks.now += 20.0
    with pytest.raises(RateLimited) as refused:
        await limiter.check(user_id=None, client_ip="1.2.3.4")
    assert refused.value.status_code == 429
    assert refused.value.headers == {
        "X-RateLimit-Limit": "3",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "40",
        "Retry-After": "40",
    }


async def test_a_new_window_brings_a_new_budget() -> None:
    ticks = Ticks()
    limiter = _limiter(ticks)
    for _ in range(3):
        await limiter.check(user_id=None, client_ip="1.2.3.4")
    ticks.now += 60.0
    state = await limiter.check(user_id=None, client_ip="1.2.3.4")
    assert state == RateLimit(limit=3, remaining=2, reset_seconds=60)


async def test_users_and_addresses_have_budgets_of_their_own() -> None:
    ticks = Ticks()
    limiter = _limiter(ticks)
    for _ in range(5):
        await limiter.check(user_id="u1", client_ip="1.2.3.4")
    with pytest.raises(RateLimited):
        await limiter.check(user_id="u1", client_ip="9.9.9.9")  # a new address does not help
    assert (await limiter.check(user_id="u2", client_ip="1.2.3.4")).limit == 5
    assert (await limiter.check(user_id=None, client_ip="1.2.3.4")).remaining == 2
    assert (await limiter.check(user_id=None, client_ip="5.6.7.8")).remaining == 2


def test_the_headers_are_the_three_of_the_api() -> None:
    assert RateLimit(60, 59, 42).headers() == {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "59",
        "X-RateLimit-Reset": "42",
    }

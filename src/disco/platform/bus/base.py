"""What every bus adapter offers.

Delivery is at least once. Two kinds of subscription:
- a *group* (``broadcast=False``): one durable queue per group name, its consumers compete
  (every subscription to the group, in this process or another, is one more consumer of the
  same queue, so they must all use the same patterns); failed deliveries are retried after
  each of the bus's ``retry_delays`` and dead-lettered after the last; one the handler calls
  ``Unreadable`` (its payload does not fit its event class) is dead-lettered at once, since
  no retry can change that;
- a *broadcast*: every process gets its own transient copy (the gateways use it to reach
  whichever process holds a user's socket).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

__all__ = [
    "RETRY_DELAYS",
    "Envelope",
    "EventBus",
    "Handler",
    "Unreadable",
    "check_group",
    "topic_matches",
]

# Backoff between redeliveries of a failing event, in seconds; past the last, it is dead-lettered.
RETRY_DELAYS: tuple[float, ...] = (0.2, 1.0, 5.0, 30.0, 120.0)


class Unreadable(Exception):
    """An event its consumer can never apply (a payload that does not fit the event's class):
    parked in the dead letters at once, for an operator to read, instead of being retried for
    minutes."""


@dataclass(frozen=True, slots=True)
class Envelope:
    id: str
    type: str
    version: int
    occurred_at: datetime
    payload: dict[str, Any]
    attempt: int = field(default=1, compare=False)

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "id": self.id,
                "type": self.type,
                "version": self.version,
                "occurredAt": self.occurred_at.isoformat(),
                "payload": self.payload,
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes, attempt: int = 1) -> Envelope:
        data = json.loads(raw)
        occurred = datetime.fromisoformat(data["occurredAt"])
        if occurred.tzinfo is None:
            occurred = occurred.replace(tzinfo=UTC)
        return cls(
            data["id"], data["type"], int(data["version"]), occurred, data["payload"], attempt
        )


Handler = Callable[[Envelope], Awaitable[None]]


class EventBus(Protocol):
    def subscribe(
        self, group: str, patterns: list[str], handler: Handler, *, broadcast: bool = False
    ) -> None:
        """Register before ``start``. Patterns use AMQP topic syntax (``*`` one word, ``#`` any)."""

    async def start(self) -> None: ...

    async def publish(self, envelope: Envelope) -> None:
        """Returns once the bus has the event durably (publisher confirm)."""

    async def publish_many(self, envelopes: Sequence[Envelope]) -> tuple[int, Exception | None]:
        """Publishes in order; returns how many from the first on the bus has durably, and the
        error that stopped the rest (some of which may have gone out too: at least once)."""

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


async def publish_in_turn(
    bus: EventBus, envelopes: Sequence[Envelope]
) -> tuple[int, Exception | None]:
    """``publish_many`` for a bus whose publish is its consumers' first attempt (the memory
    bus): one after another, in order."""
    for count, envelope in enumerate(envelopes):
        try:
            await bus.publish(envelope)
        except Exception as exc:
            return count, exc
    return len(envelopes), None


def check_group(
    groups: dict[str, list[str]], group: str, patterns: list[str], *, broadcast: bool
) -> None:
    """Refuse a second subscription to ``group`` with other patterns: both would consume one
    queue bound to all of them, so each handler would be given events it did not ask for."""
    if broadcast:
        return
    known = groups.setdefault(group, sorted(patterns))
    if known != sorted(patterns):
        raise ValueError(f"group {group!r} is already subscribed to {known}, not {patterns}")


@lru_cache(maxsize=4096)
def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching, as RabbitMQ does it: ``*`` is one word, ``#`` zero or more."""
    return _match(_words(pattern), _words(routing_key))


def _words(key: str) -> tuple[str, ...]:
    # RabbitMQ reads an empty key as no words at all, not as one empty word.
    return tuple(key.split(".")) if key else ()


def _match(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    return bool(words) and head in ("*", words[0]) and _match(rest, words[1:])

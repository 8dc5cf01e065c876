"""The frames a client may send besides ``ping`` and ``auth``, and how fast it may send them."""

from __future__ import annotations

import re
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from disco.platform.errors import ValidationFailed

__all__ = ["FRAME_ROUTES", "FrameRate", "FrameRoute"]


class FrameRate:
    """Token bucket for the frames a client sends: ``rate`` a second, bursts of twice that.

    Each refused frame is a strike; strikes fade at one a second, so a one-off burst is
    forgiven while a client that keeps flooding runs out of them (``exhausted``).
    """

    def __init__(
        self, rate: float, *, max_strikes: int, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._capacity = rate * 2
        self._tokens = self._capacity
        self._max_strikes = max_strikes
        self._strikes = 0.0
        self._now = monotonic
        self._last = monotonic()

    def allow(self) -> bool:
        now = self._now()
        elapsed, self._last = now - self._last, now
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._strikes = max(0.0, self._strikes - elapsed)
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self._strikes += 1
        return False

    @property
    def exhausted(self) -> bool:
        return self._strikes > self._max_strikes


_PATH_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class FrameRoute:
    """A frame a client may send, as the service's own HTTP endpoint for the same thing.

    ``path`` may name fields of the frame's ``data`` (``{roomId}``); they fill the path and the
    rest of ``data`` is the JSON body. The call carries the socket's access token, so the
    service checks it exactly as it checks the HTTP request.
    """

    service: str
    method: str
    path: str

    def target(self, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The path and body for ``data``; ValidationFailed when a path field is bad."""
        fields = [name for _, name, _, _ in string.Formatter().parse(self.path) if name]
        values = {}
        for name in fields:
            value = data.get(name)
            if not isinstance(value, str) or not _PATH_VALUE.match(value):
                raise ValidationFailed(f'"{name}" must be an id.', details=[{"field": name}])
            values[name] = value
        body = {k: v for k, v in data.items() if k not in values}
        return self.path.format(**values), body


# Client -> server frames besides ``ping`` and ``auth``; API.md: location_update, typing, read.
FRAME_ROUTES: dict[str, FrameRoute] = {
    "location_update": FrameRoute("match", "POST", "/v1/location"),
    "typing": FrameRoute("chat", "POST", "/v1/chats/rooms/{roomId}/typing"),
    "read": FrameRoute("chat", "POST", "/v1/chats/rooms/{roomId}/read"),
}

"""Pushes to users' WebSockets. Any service publishes them; every gateway process consumes them."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from disco.contracts.events.base import Event

__all__ = ["RealtimePushed"]


class RealtimePushed(Event):
    """A frame for every open socket of each user named."""

    event_type = "realtime.push.requested"

    user_ids: list[str] = Field(min_length=1)
    frame_type: str
    data: dict[str, Any]

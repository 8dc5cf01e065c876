"""Events the gateways publish about sockets: who is connected. Published straight to the bus
(not through an outbox: the gateway has no tables, and presence that arrives late is wrong
anyway); the chat service turns them into presence that people see."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from disco.contracts.events.base import Event

__all__ = ["PresenceChanged", "PresenceRenewed"]


class PresenceChanged(Event):
    """A user's first socket on one gateway process opened, or their last one there closed."""

    event_type = "gateway.presence.changed"

    user_id: str
    online: bool
    at: datetime


class PresenceRenewed(Event):
    """Every user with a socket open on one gateway process, sent every few seconds: a
    presence not renewed for a while has ended (a gateway that died says nothing else)."""

    event_type = "gateway.presence.renewed"

    user_ids: list[str] = Field(default_factory=list)
    at: datetime

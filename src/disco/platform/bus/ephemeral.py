"""Publishing straight to the bus, without an outbox: for what must not be stored and is worth
nothing late (typing indicators, presence). Lost if the bus is down; nothing waits for it."""

from __future__ import annotations

import logging
from datetime import datetime

from disco.platform.bus.base import Envelope, EventBus
from disco.platform.db import PublishableEvent, new_id

__all__ = ["publish_now"]

log = logging.getLogger(__name__)


async def publish_now(bus: EventBus, event: PublishableEvent, now: datetime) -> bool:
    """Hand ``event`` to the bus at once; False (and a log line) if the bus refused it."""
    envelope = Envelope(
        new_id(), event.event_type, event.event_version, now, event.model_dump(mode="json")
    )
    try:
        await bus.publish(envelope)
    except Exception as exc:
        log.warning("ephemeral %s not published: %s", event.event_type, type(exc).__name__)
        return False
    return True

"""Bus consumers of the gateway."""

from __future__ import annotations

from disco.contracts.events.realtime import RealtimePushed
from disco.gateway.hub import SocketHub
from disco.platform.bus import Envelope, Handler

__all__ = ["on_realtime_push"]


def on_realtime_push(hub: SocketHub) -> Handler:
    """Every gateway process hears every push, and delivers to the sockets it holds."""

    async def handle(envelope: Envelope) -> None:
        push = RealtimePushed.model_validate(envelope.payload)
        hub.deliver(push.user_ids, {"type": push.frame_type, "data": push.data})

    return handle

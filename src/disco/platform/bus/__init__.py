"""The event bus port and its adapters: in-process (embedded) and RabbitMQ (real)."""

from disco.platform.bus.base import Envelope, EventBus, Handler, Unreadable, topic_matches

__all__ = ["Envelope", "EventBus", "Handler", "Unreadable", "topic_matches"]

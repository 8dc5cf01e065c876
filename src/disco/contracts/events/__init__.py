"""Frozen, versioned, past-tense events; one module per publishing service."""

from disco.contracts.events.base import Event, event_class, parse_event

__all__ = ["Event", "event_class", "parse_event"]

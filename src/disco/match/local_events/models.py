"""Local events and who joins them. An event's place is public, chosen by its host: unlike a
user's position it may be stored."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text

from disco.match.models import metadata
from disco.platform.db import UtcDateTime

__all__ = ["attendees", "local_events"]

local_events = Table(
    "match_local_events",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("host_id", String(36), nullable=False, index=True),
    Column("title", String(120), nullable=False),
    Column("description", Text, nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False, index=True),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("place", String(200)),
    Column("capacity", Integer),  # attendees, the host included; None: no limit
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_match_local_events_position", "latitude", "longitude"),
)

attendees = Table(
    "match_local_event_attendees",
    metadata,
    Column(
        "event_id",
        String(36),
        ForeignKey("match_local_events.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", String(36), primary_key=True),
    Column("joined_at", UtcDateTime(), nullable=False),
    Index("ix_match_local_event_attendees_user", "user_id"),
)

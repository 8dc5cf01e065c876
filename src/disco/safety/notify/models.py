"""The notification queue and its audit trail, on the safety service's metadata.

Who a notification goes to and what it says are personal data: they are stored only sealed
(``content_sealed``, FieldCipher), as are error texts, which often quote the address.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, SmallInteger, String, Table, Text

from disco.platform.db import UtcDateTime
from disco.safety.models import metadata

__all__ = ["notification_events", "notifications"]

_SEQ = BigInteger().with_variant(Integer, "sqlite")

notifications = Table(
    "safety_notifications",
    metadata,
    # Insertion order: "oldest first" among equal priorities, even when the clock stands still.
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("priority", SmallInteger, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("content_sealed", Text, nullable=False),
    # queued | sending | sent | dead | skipped
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    # When the next attempt may start; while sending, when the claim lapses.
    Column("due_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("dead_lettered_at", UtcDateTime(), nullable=True),
    Column("last_error_sealed", Text, nullable=True),
    # Audit context, in clear so moderators can filter and a deleted user can be erased.
    Column("user_id", String(36), nullable=True, index=True),
    Column("recipient_user_id", String(36), nullable=True, index=True),
    Column("alert_id", String(36), nullable=True, index=True),
    Column("checkin_id", String(36), nullable=True),
    Index("ix_safety_notifications_due", "status", "due_at"),
)

notification_events = Table(
    "safety_notification_events",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("notification_id", String(36), nullable=False, index=True),
    # queued | attempt | sent | failed | dead_lettered | skipped | requeued
    Column("kind", String(16), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("detail_sealed", Text, nullable=True),
)

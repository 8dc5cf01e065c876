"""The safety service's tables. Alert trails and contact details are encrypted at rest."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from disco.platform.db import UtcDateTime, erased_table, inbox_table, outbox_table

metadata = MetaData()

outbox = outbox_table(metadata, "safety")
inbox = inbox_table(metadata, "safety")
erased_users = erased_table(metadata, "safety")

# Our own copy of each user's confirmed emergency contacts, from users.contact.* events, so an
# alert never waits on the users service. ``sealed`` is the event's sealed details, unopened.
contacts = Table(
    "safety_contacts",
    metadata,
    Column("contact_id", String(36), primary_key=True),
    Column("user_id", String(36), nullable=False, index=True),
    Column("sealed", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# The newest version of each contact that an event has told (users.contact.*, removals
# included), so that an older event arriving late never brings a removed contact back.
contact_versions = Table(
    "safety_contact_versions",
    metadata,
    Column("contact_id", String(36), primary_key=True),
    Column("user_id", String(36), nullable=False, index=True),
    Column("version", Integer, nullable=False),
)

# The first name alert messages call the user by, from users.profile.updated.
people = Table(
    "safety_people",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("first_name", String(100), nullable=False),
)

# Push tokens of the user's phones (sealed): a reminder or an alert's confirmation must reach a
# phone whose app is not open.
devices = Table(
    "safety_devices",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("device_id", String(64), primary_key=True),
    Column("sealed_token", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# The PIN that cancels an alert, and the duress PIN that only seems to: argon2 hashes.
pins = Table(
    "safety_pins",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("pin_hash", String(200), nullable=False),
    Column("duress_hash", String(200)),
    Column("updated_at", UtcDateTime(), nullable=False),
)

alerts = Table(
    "safety_alerts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), nullable=False, index=True),
    Column("type", String(20), nullable=False),
    Column("status", String(20), nullable=False),  # ACTIVE, RESOLVED, CANCELLED
    Column("sealed_message", Text),
    # Set by a duress cancel: the owner is shown CANCELLED, everyone else ACTIVE.
    Column("duress_at", UtcDateTime()),
    Column("live_token_hash", String(64), nullable=False, unique=True),
    Column("live_expires_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime()),
)

# An alert or check-in created with an ``Idempotency-Key``: the same key again (an app retrying
# over a flaky network, or a second tap) answers with what the first request made, never a
# second one; the same key with another request is refused. Kept for a day (retention).
request_keys = Table(
    "safety_request_keys",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("kind", String(20), primary_key=True),  # alert, checkin
    Column("key", String(128), primary_key=True),
    Column("resource_id", String(36), nullable=False),
    Column("sealed_request", Text, nullable=False),  # the first request's fingerprint
    Column("created_at", UtcDateTime(), nullable=False, index=True),
)

# Every location the user's app sent while the alert was active; each point sealed.
alert_points = Table(
    "safety_alert_points",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "alert_id",
        String(36),
        ForeignKey("safety_alerts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("sealed", Text, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
)

# Durable schedule: the scheduler claims due rows by moving their status (checkins/scheduler.py).
checkins = Table(
    "safety_checkins",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), nullable=False, index=True),
    Column("match_id", String(36)),
    Column("sealed_details", Text, nullable=False),  # place and note
    Column("sealed_location", Text),  # the last location the user attached
    Column("status", String(20), nullable=False),  # ACTIVE, CONFIRMED, CANCELLED, ESCALATED
    Column("due_at", UtcDateTime(), nullable=False),
    Column("remind_at", UtcDateTime(), nullable=False),
    Column("reminded_at", UtcDateTime()),
    # min(due + grace, last heartbeat + timeout): when contacts are told, unless confirmed.
    Column("escalate_at", UtcDateTime(), nullable=False),
    Column("last_heartbeat_at", UtcDateTime()),
    Column("escalated_at", UtcDateTime()),
    Column("escalation_reason", String(20)),  # MISSED or SILENT (dead-man's switch)
    Column("confirmed_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_safety_checkins_due", "status", "escalate_at"),
    Index("ix_safety_checkins_remind", "status", "remind_at"),
)

matches = Table(
    "safety_matches",
    metadata,
    Column("match_id", String(36), primary_key=True),
    Column("user_a", String(36), nullable=False, index=True),
    Column("user_b", String(36), nullable=False, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime()),
)

reports = Table(
    "safety_reports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("reporter_id", String(36), nullable=False, index=True),
    Column("reported_id", String(36), nullable=False, index=True),
    Column("reason", String(40), nullable=False),
    # Details, message ids and the messages the reporter decrypted, sealed together.
    Column("sealed_evidence", Text, nullable=False),
    Column("status", String(20), nullable=False),  # OPEN, ACTIONED
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

moderation_actions = Table(
    "safety_moderation_actions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "report_id",
        String(36),
        ForeignKey("safety_reports.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("moderator_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("action", String(20), nullable=False),
    Column("note", Text),
    Column("until", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
)

ratings = Table(
    "safety_ratings",
    metadata,
    Column("match_id", String(36), primary_key=True),
    Column("rater_id", String(36), primary_key=True),
    Column("rated_id", String(36), nullable=False, index=True),
    Column("score", Integer, nullable=False),
    Column("comment", Text),
    Column("created_at", UtcDateTime(), nullable=False),
)

venues = Table(
    "safety_venues",
    metadata,
    Column("id", String(120), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", String(60), nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_safety_venues_position", "latitude", "longitude"),
)

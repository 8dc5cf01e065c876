"""The match service's tables. Never a location: positions live only in the presence index."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, Integer, MetaData, String, Table, Text

from disco.platform.db import UtcDateTime, erased_table, inbox_table, outbox_table

metadata = MetaData()

# Pairs that were told about each other, and when last: only a pair that met may connect.
# No place, no distance: just who and when.
encounters = Table(
    "match_encounters",
    metadata,
    Column("user_low", String(36), primary_key=True),  # the smaller of the two ids
    Column("user_high", String(36), primary_key=True),
    Column("met_at", UtcDateTime(timezone=True), nullable=False),
)

# Discovery mode as the user set it. A switch, not a place.
discovery = Table(
    "match_discovery",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("until", UtcDateTime(timezone=True), nullable=True),
    Column("updated_at", UtcDateTime(timezone=True), nullable=False),
)

# --- the projection of users.* events: what matching scores and filters on ----------------------
# ``*_as_of`` is the event's occurrence time: a late redelivery never overwrites a newer state.
profiles = Table(
    "match_profiles",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("first_name", String(100), nullable=False),
    Column("interests", JSON, nullable=False),
    Column("activities", JSON, nullable=False),
    Column("mode", String(20), nullable=False),
    Column("birth_date", Date, nullable=True),
    Column("as_of", UtcDateTime(timezone=True), nullable=False),
)

preferences = Table(
    "match_preferences",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("radius_meters", Integer, nullable=False),
    Column("time_windows", JSON, nullable=False),
    Column("age_min", Integer, nullable=True),
    Column("age_max", Integer, nullable=True),
    Column("professional_only", Boolean, nullable=False),
    Column("as_of", UtcDateTime(timezone=True), nullable=False),
)

# Kept sealed as users sent it (a zone reveals a home); opened in memory when matching needs it.
privacy_zones = Table(
    "match_privacy_zones",
    metadata,
    Column("zone_id", String(36), primary_key=True),
    Column("user_id", String(36), nullable=False, index=True),
    Column("sealed_area", Text, nullable=False),
    Column("expires_at", UtcDateTime(timezone=True), nullable=True),
)

# Zones removed, kept so that their "added" event, arriving late (a retry after the removal),
# does not bring a removed zone back. A zone is added once and removed once: no version needed.
removed_zones = Table(
    "match_removed_zones",
    metadata,
    Column("zone_id", String(36), primary_key=True),
    Column("user_id", String(36), nullable=False, index=True),
)

blocks = Table(
    "match_blocks",
    metadata,
    Column("blocker", String(36), primary_key=True),
    Column("blocked", String(36), primary_key=True, index=True),
    Column("until", UtcDateTime(timezone=True), nullable=True),
)

# The newest users.block.* event applied per pair, so a late unblock never lifts a newer block.
block_versions = Table(
    "match_block_versions",
    metadata,
    Column("blocker", String(36), primary_key=True),
    Column("blocked", String(36), primary_key=True, index=True),
    Column("version", Integer, nullable=False),
)

deactivated = Table(
    "match_deactivated",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("since", UtcDateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata, "match")
erased_users = erased_table(metadata, "match")
inbox = inbox_table(metadata, "match")

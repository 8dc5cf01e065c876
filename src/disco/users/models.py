"""The users service's tables. Private: other services learn of them through users.* events."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from disco.platform.db import UtcDateTime, inbox_table, outbox_table

metadata = MetaData()

profiles = Table(
    "users_profiles",
    metadata,
    Column("user_id", String(36), primary_key=True),  # the auth service's user id
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("bio", Text, nullable=False, default=""),
    Column("birth_date", Date),
    Column("interests", JSON, nullable=False),  # normalised tags
    Column("activities", JSON, nullable=False),
    Column("mode", String(20), nullable=False),
    Column("visibility", JSON, nullable=False),  # what strangers nearby and matches see
    Column("photo_key", String(80)),  # in the photo store; random, never the user id
    Column("deactivated_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

preferences = Table(
    "users_preferences",
    metadata,
    Column(
        "user_id",
        String(36),
        ForeignKey("users_profiles.user_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("discovery_radius_meters", Integer, nullable=False),
    Column("time_windows", JSON, nullable=False),
    Column("age_min", Integer),
    Column("age_max", Integer),
    Column("professional_only", Boolean, nullable=False, default=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Name, email and phone of a third party: encrypted together with the field cipher.
emergency_contacts = Table(
    "users_emergency_contacts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "user_id",
        String(36),
        ForeignKey("users_profiles.user_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("sealed", Text, nullable=False),
    Column("confirmed_at", UtcDateTime()),
    # The confirmation link's token, SHA-256; single use, cleared once used.
    Column("token_hash", String(64), unique=True),
    Column("token_expires_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    # Raised by every users.contact.* event about this contact, which carries it: consumers
    # keep only the newest state whatever order the events arrive in.
    Column("version", Integer, nullable=False, server_default="0"),
    Index("ix_users_emergency_contacts_user", "user_id"),
)

# Where a user lives or works: name and centre encrypted with the field cipher.
privacy_zones = Table(
    "users_privacy_zones",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "user_id",
        String(36),
        ForeignKey("users_profiles.user_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("sealed", Text, nullable=False),
    Column("radius_meters", Integer, nullable=False),
    Column("expires_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_users_privacy_zones_user", "user_id"),
)


def _pair_member(name: str) -> Column[str]:
    """One side of a pair of people: a profile, so deleting either one deletes the row."""
    return Column(
        name,
        String(36),
        ForeignKey("users_profiles.user_id", ondelete="CASCADE"),
        primary_key=True,
    )


# Both sides are profiles, so deleting either user's profile deletes the block with it.
blocks = Table(
    "users_blocks",
    metadata,
    _pair_member("user_id"),
    _pair_member("blocked_id"),
    Column("until", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_users_blocks_blocked", "blocked_id"),
)

# The version of each pair's latest users.block.* event. It outlives the block (an unblock
# deletes the block's row), so a later block's events always carry a higher number.
block_versions = Table(
    "users_block_versions",
    metadata,
    _pair_member("user_id"),
    _pair_member("blocked_id"),
    Column("version", Integer, nullable=False),
)

# Accounts deleted here, by a SHA-256 of the user id (never the id itself), so that a sign-up
# announced late (auth's call retried, or its auth.user.registered delayed) cannot bring a
# deleted profile back.
erased_accounts = Table(
    "users_erased_accounts",
    metadata,
    Column("user_hash", String(64), primary_key=True),
    Column("erased_at", UtcDateTime(), nullable=False),
)

outbox = outbox_table(metadata, "users")
inbox = inbox_table(metadata, "users")

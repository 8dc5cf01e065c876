"""The auth service's tables. Private: no other service reads them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
)

from disco.platform.db import UtcDateTime, inbox_table, outbox_table

metadata = MetaData()

users = Table(
    "auth_users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # stored lower-cased
    Column("password_hash", String(255)),  # null for accounts made through OIDC only
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email_verified", Boolean, nullable=False, default=False),
    Column("roles", String(200), nullable=False, default=""),  # space-separated
    Column("totp_secret", Text),  # encrypted with the field cipher
    Column("totp_enabled", Boolean, nullable=False, default=False),
    # The last TOTP time step accepted: a code is good once, and never an older one after it.
    Column("totp_last_step", BigInteger),
    Column("disabled_at", UtcDateTime()),
    Column("disabled_until", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
)

# A session is a refresh-token family: every rotation stays in it; a replay revokes it whole.
sessions = Table(
    "auth_sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("auth_users.id", ondelete="CASCADE"), nullable=False),
    Column("method", String(60), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime()),
    Column("revoked_reason", String(60)),
    Index("ix_auth_sessions_user", "user_id"),
)

refresh_tokens = Table(
    "auth_refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the opaque token
    Column(
        "session_id", String(36), ForeignKey("auth_sessions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime()),
    Index("ix_auth_refresh_tokens_session", "session_id"),
)

# Email verification and password reset: single use, short lived, stored hashed.
one_time_tokens = Table(
    "auth_one_time_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("auth_users.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(30), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime()),
    Index("ix_auth_one_time_tokens_user", "user_id", "purpose"),
)

# Two-factor recovery codes: each works once; 120 random bits, so a SHA-256 hash is enough.
recovery_codes = Table(
    "auth_recovery_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("auth_users.id", ondelete="CASCADE"), nullable=False),
    Column("used_at", UtcDateTime()),
    Index("ix_auth_recovery_codes_user", "user_id"),
)

signing_keys = Table(
    "auth_signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_key", Text, nullable=False),  # PEM, encrypted with the field cipher
    Column("public_jwk", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Stops signing at retire_at; stays in the JWKS until its last token has expired.
    Column("retire_at", UtcDateTime(), nullable=False),
    Column("expire_at", UtcDateTime(), nullable=False),
)

oauth_links = Table(
    "auth_oauth_links",
    metadata,
    Column("provider", String(60), primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column("user_id", String(36), ForeignKey("auth_users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_auth_oauth_links_user", "user_id"),
)

outbox = outbox_table(metadata, "auth")
inbox = inbox_table(metadata, "auth")

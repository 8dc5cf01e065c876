"""connections, matches, local events

Revision ID: ma7c00000003
Revises: ma7c00000002
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import disco.platform.db

revision: str = "ma7c00000003"
down_revision: str | None = "ma7c00000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_connections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("requester_id", sa.String(length=36), nullable=False),
        sa.Column("recipient_id", sa.String(length=36), nullable=False),
        sa.Column("user_low", sa.String(length=36), nullable=False),
        sa.Column("user_high", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", disco.platform.db.UtcDateTime(), nullable=False),
        sa.Column("matched_at", disco.platform.db.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_low", "user_high", name="uq_match_connections_pair"),
    )
    op.create_index("ix_match_connections_requester", "match_connections", ["requester_id"])
    op.create_index("ix_match_connections_recipient", "match_connections", ["recipient_id"])
    op.create_table(
        "match_local_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("host_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", disco.platform.db.UtcDateTime(), nullable=False),
        sa.Column("ends_at", disco.platform.db.UtcDateTime(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("created_at", disco.platform.db.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_match_local_events_host_id", "match_local_events", ["host_id"])
    op.create_index("ix_match_local_events_ends_at", "match_local_events", ["ends_at"])
    op.create_index(
        "ix_match_local_events_position", "match_local_events", ["latitude", "longitude"]
    )
    op.create_table(
        "match_local_event_attendees",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("joined_at", disco.platform.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["match_local_events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "user_id"),
    )
    op.create_index(
        "ix_match_local_event_attendees_user", "match_local_event_attendees", ["user_id"]
    )


def downgrade() -> None:
    op.drop_table("match_local_event_attendees")
    op.drop_table("match_local_events")
    op.drop_table("match_connections")

"""notification dispatch tables

Revision ID: 5afe00000002
Revises: 75b48c3ff73c
Create Date: 2026-11-25 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import disco.platform.db

revision: str = "5afe00000002"
down_revision: str | None = "75b48c3ff73c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_notifications",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("content_sealed", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("dead_lettered_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error_sealed", sa.Text(), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("recipient_user_id", sa.String(length=36), nullable=True),
        sa.Column("alert_id", sa.String(length=36), nullable=True),
        sa.Column("checkin_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("dedupe_key"),
        sa.UniqueConstraint("id"),
    )
    op.create_index(
        "ix_safety_notifications_due", "safety_notifications", ["status", "due_at"], unique=False
    )
    op.create_index(
        op.f("ix_safety_notifications_user_id"), "safety_notifications", ["user_id"], unique=False
    )
    op.create_index(
        op.f("ix_safety_notifications_recipient_user_id"),
        "safety_notifications",
        ["recipient_user_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_safety_notifications_alert_id"), "safety_notifications", ["alert_id"], unique=False
    )
    op.create_table(
        "safety_notification_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("notification_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("detail_sealed", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index(
        op.f("ix_safety_notification_events_notification_id"),
        "safety_notification_events",
        ["notification_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_safety_notification_events_notification_id"),
        table_name="safety_notification_events",
    )
    op.drop_table("safety_notification_events")
    op.drop_index(op.f("ix_safety_notifications_alert_id"), table_name="safety_notifications")
    op.drop_index(
        op.f("ix_safety_notifications_recipient_user_id"), table_name="safety_notifications"
    )
    op.drop_index(op.f("ix_safety_notifications_user_id"), table_name="safety_notifications")
    op.drop_index("ix_safety_notifications_due", table_name="safety_notifications")
    op.drop_table("safety_notifications")

"""alerts, check-ins, reports, ratings, venues

Revision ID: 5afe00000003
Revises: 5afe00000002
Create Date: 2026-11-25 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import disco.platform.db

revision: str = "5afe00000003"
down_revision: str | None = "5afe00000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_devices",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("sealed_token", sa.Text(), nullable=False),
        sa.Column("updated_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "device_id"),
    )
    op.create_table(
        "safety_alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sealed_message", sa.Text(), nullable=True),
        sa.Column("duress_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("live_token_hash", sa.String(length=64), nullable=False),
        sa.Column("live_expires_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("live_token_hash"),
    )
    with op.batch_alter_table("safety_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_alerts_user_id"), ["user_id"], unique=False)

    op.create_table(
        "safety_checkins",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("match_id", sa.String(length=36), nullable=True),
        sa.Column("sealed_details", sa.Text(), nullable=False),
        sa.Column("sealed_location", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("remind_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("escalate_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_heartbeat_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("escalation_reason", sa.String(length=20), nullable=True),
        sa.Column("confirmed_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("safety_checkins", schema=None) as batch_op:
        batch_op.create_index("ix_safety_checkins_due", ["status", "escalate_at"], unique=False)
        batch_op.create_index("ix_safety_checkins_remind", ["status", "remind_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_checkins_user_id"), ["user_id"], unique=False)

    op.create_table(
        "safety_contacts",
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("updated_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("contact_id"),
    )
    with op.batch_alter_table("safety_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_contacts_user_id"), ["user_id"], unique=False)

    op.create_table(
        "safety_matches",
        sa.Column("match_id", sa.String(length=36), nullable=False),
        sa.Column("user_a", sa.String(length=36), nullable=False),
        sa.Column("user_b", sa.String(length=36), nullable=False),
        sa.Column("created_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("match_id"),
    )
    with op.batch_alter_table("safety_matches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_matches_user_a"), ["user_a"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_matches_user_b"), ["user_b"], unique=False)

    op.create_table(
        "safety_people",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "safety_pins",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("duress_hash", sa.String(length=200), nullable=True),
        sa.Column("updated_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "safety_ratings",
        sa.Column("match_id", sa.String(length=36), nullable=False),
        sa.Column("rater_id", sa.String(length=36), nullable=False),
        sa.Column("rated_id", sa.String(length=36), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("match_id", "rater_id"),
    )
    with op.batch_alter_table("safety_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_ratings_rated_id"), ["rated_id"], unique=False)

    op.create_table(
        "safety_reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reporter_id", sa.String(length=36), nullable=False),
        sa.Column("reported_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("sealed_evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("safety_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_reports_reported_id"), ["reported_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_safety_reports_reporter_id"), ["reporter_id"], unique=False
        )

    op.create_table(
        "safety_venues",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("updated_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("safety_venues", schema=None) as batch_op:
        batch_op.create_index("ix_safety_venues_position", ["latitude", "longitude"], unique=False)

    op.create_table(
        "safety_alert_points",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("recorded_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["safety_alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("safety_alert_points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_alert_points_alert_id"), ["alert_id"], unique=False
        )

    op.create_table(
        "safety_moderation_actions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("moderator_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("until", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["safety_reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("safety_moderation_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_moderation_actions_report_id"), ["report_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("safety_devices")
    with op.batch_alter_table("safety_moderation_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_moderation_actions_report_id"))

    op.drop_table("safety_moderation_actions")
    with op.batch_alter_table("safety_alert_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_alert_points_alert_id"))

    op.drop_table("safety_alert_points")
    with op.batch_alter_table("safety_venues", schema=None) as batch_op:
        batch_op.drop_index("ix_safety_venues_position")

    op.drop_table("safety_venues")
    with op.batch_alter_table("safety_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_reports_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_safety_reports_reported_id"))

    op.drop_table("safety_reports")
    with op.batch_alter_table("safety_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_ratings_rated_id"))

    op.drop_table("safety_ratings")
    op.drop_table("safety_pins")
    op.drop_table("safety_people")
    with op.batch_alter_table("safety_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_matches_user_b"))
        batch_op.drop_index(batch_op.f("ix_safety_matches_user_a"))

    op.drop_table("safety_matches")
    with op.batch_alter_table("safety_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_contacts_user_id"))

    op.drop_table("safety_contacts")
    with op.batch_alter_table("safety_checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_checkins_user_id"))
        batch_op.drop_index("ix_safety_checkins_remind")
        batch_op.drop_index("ix_safety_checkins_due")

    op.drop_table("safety_checkins")
    with op.batch_alter_table("safety_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_alerts_user_id"))

    op.drop_table("safety_alerts")

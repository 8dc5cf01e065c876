"""discovery state and the users projection

Revision ID: ma7c00000002
Revises: b708ce0692b1
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import disco.platform.db

revision: str = "ma7c00000002"
down_revision: str | None = "b708ce0692b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_discovery",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("until", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "match_profiles",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("activities", sa.JSON(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("as_of", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "match_preferences",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("radius_meters", sa.Integer(), nullable=False),
        sa.Column("time_windows", sa.JSON(), nullable=False),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("professional_only", sa.Boolean(), nullable=False),
        sa.Column("as_of", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "match_privacy_zones",
        sa.Column("zone_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("sealed_area", sa.Text(), nullable=False),
        sa.Column("expires_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("zone_id"),
    )
    op.create_index(
        op.f("ix_match_privacy_zones_user_id"), "match_privacy_zones", ["user_id"], unique=False
    )
    op.create_table(
        "match_blocks",
        sa.Column("blocker", sa.String(length=36), nullable=False),
        sa.Column("blocked", sa.String(length=36), nullable=False),
        sa.Column("until", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("blocker", "blocked"),
    )
    op.create_index(op.f("ix_match_blocks_blocked"), "match_blocks", ["blocked"], unique=False)
    op.create_table(
        "match_deactivated",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("since", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("match_deactivated")
    op.drop_index(op.f("ix_match_blocks_blocked"), table_name="match_blocks")
    op.drop_table("match_blocks")
    op.drop_index(op.f("ix_match_privacy_zones_user_id"), table_name="match_privacy_zones")
    op.drop_table("match_privacy_zones")
    op.drop_table("match_preferences")
    op.drop_table("match_profiles")
    op.drop_table("match_discovery")

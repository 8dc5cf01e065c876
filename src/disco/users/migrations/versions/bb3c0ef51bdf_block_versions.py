"""block versions

Revision ID: bb3c0ef51bdf
Revises: bb3c0ef51bde
Create Date: 2026-12-06 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bb3c0ef51bdf"
down_revision: str | None = "bb3c0ef51bde"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users_block_versions",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("blocked_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["blocked_id"], ["users_profiles.user_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users_profiles.user_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "blocked_id"),
    )


def downgrade() -> None:
    op.drop_table("users_block_versions")

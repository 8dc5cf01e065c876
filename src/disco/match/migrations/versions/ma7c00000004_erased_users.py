"""erased users

Revision ID: ma7c00000004
Revises: ma7c00000003
Create Date: 2026-12-06 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import disco.platform.db

revision: str = "ma7c00000004"
down_revision: str | None = "ma7c00000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_erased_users",
        sa.Column("user_hash", sa.String(length=64), nullable=False),
        sa.Column("erased_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_hash"),
    )


def downgrade() -> None:
    op.drop_table("match_erased_users")

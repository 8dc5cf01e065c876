"""block versions

Revision ID: ma7c00000005
Revises: ma7c00000004
Create Date: 2026-12-06 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ma7c00000005"
down_revision: str | None = "ma7c00000004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_block_versions",
        sa.Column("blocker", sa.String(length=36), nullable=False),
        sa.Column("blocked", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("blocker", "blocked"),
    )
    op.create_index(
        "ix_match_block_versions_blocked", "match_block_versions", ["blocked"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_match_block_versions_blocked", table_name="match_block_versions")
    op.drop_table("match_block_versions")

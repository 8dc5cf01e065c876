"""removed privacy zones

Revision ID: ma7c00000006
Revises: ma7c00000005
Create Date: 2026-12-06 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ma7c00000006"
down_revision: str | None = "ma7c00000005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_removed_zones",
        sa.Column("zone_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("zone_id"),
    )
    op.create_index(
        "ix_match_removed_zones_user_id", "match_removed_zones", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_match_removed_zones_user_id", table_name="match_removed_zones")
    op.drop_table("match_removed_zones")

"""contact versions

Revision ID: 5afe00000005
Revises: 5afe00000004
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5afe00000005"
down_revision: str | None = "5afe00000004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_contact_versions",
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id"),
    )
    op.create_index("ix_safety_contact_versions_user_id", "safety_contact_versions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_safety_contact_versions_user_id", table_name="safety_contact_versions")
    op.drop_table("safety_contact_versions")

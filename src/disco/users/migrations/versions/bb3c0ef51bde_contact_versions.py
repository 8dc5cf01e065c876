"""contact versions

Revision ID: bb3c0ef51bde
Revises: bb3c0ef51bdd
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bb3c0ef51bde"
down_revision: str | None = "bb3c0ef51bdd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users_emergency_contacts",
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("users_emergency_contacts") as batch:
        batch.drop_column("version")

"""erased accounts

Revision ID: bb3c0ef51bdd
Revises: bb3c0ef51bdc
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import disco.platform.db

revision: str = "bb3c0ef51bdd"
down_revision: str | None = "bb3c0ef51bdc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users_erased_accounts",
        sa.Column("user_hash", sa.String(length=64), nullable=False),
        sa.Column("erased_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_hash"),
    )


def downgrade() -> None:
    op.drop_table("users_erased_accounts")

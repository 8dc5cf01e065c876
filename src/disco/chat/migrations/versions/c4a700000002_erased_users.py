"""erased users

Revision ID: c4a700000002
Revises: c4a700000001
Create Date: 2026-12-06 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import disco.platform.db

revision: str = "c4a700000002"
down_revision: str | None = "c4a700000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_erased_users",
        sa.Column("user_hash", sa.String(length=64), nullable=False),
        sa.Column("erased_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_hash"),
    )


def downgrade() -> None:
    op.drop_table("chat_erased_users")

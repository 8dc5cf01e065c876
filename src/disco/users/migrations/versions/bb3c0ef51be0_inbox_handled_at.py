"""inbox: index on handled_at, for forgetting long-applied events

Revision ID: bb3c0ef51be0
Revises: bb3c0ef51bdf
Create Date: 2026-12-07 12:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "bb3c0ef51be0"
down_revision: str | None = "bb3c0ef51bdf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_users_inbox_handled_at", "users_inbox", ["handled_at"])


def downgrade() -> None:
    op.drop_index("ix_users_inbox_handled_at", table_name="users_inbox")

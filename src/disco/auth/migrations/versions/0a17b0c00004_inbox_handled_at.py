"""inbox: index on handled_at, for forgetting long-applied events

Revision ID: 0a17b0c00004
Revises: 9ade2a1a158d
Create Date: 2026-12-07 12:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0a17b0c00004"
down_revision: str | None = "9ade2a1a158d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_auth_inbox_handled_at", "auth_inbox", ["handled_at"])


def downgrade() -> None:
    op.drop_index("ix_auth_inbox_handled_at", table_name="auth_inbox")

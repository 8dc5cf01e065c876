"""inbox: index on handled_at, for forgetting long-applied events

Revision ID: ma7c00000007
Revises: ma7c00000006
Create Date: 2026-12-07 12:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "ma7c00000007"
down_revision: str | None = "ma7c00000006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_match_inbox_handled_at", "match_inbox", ["handled_at"])


def downgrade() -> None:
    op.drop_index("ix_match_inbox_handled_at", table_name="match_inbox")

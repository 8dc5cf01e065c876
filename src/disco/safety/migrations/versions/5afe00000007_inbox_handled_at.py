"""inbox: index on handled_at, for forgetting long-applied events

Revision ID: 5afe00000007
Revises: 5afe00000006
Create Date: 2026-12-07 12:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5afe00000007"
down_revision: str | None = "5afe00000006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_safety_inbox_handled_at", "safety_inbox", ["handled_at"])


def downgrade() -> None:
    op.drop_index("ix_safety_inbox_handled_at", table_name="safety_inbox")

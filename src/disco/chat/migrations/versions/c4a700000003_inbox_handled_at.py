"""inbox: index on handled_at, for forgetting long-applied events

Revision ID: c4a700000003
Revises: c4a700000002
Create Date: 2026-12-07 12:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c4a700000003"
down_revision: str | None = "c4a700000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_chat_inbox_handled_at", "chat_inbox", ["handled_at"])


def downgrade() -> None:
    op.drop_index("ix_chat_inbox_handled_at", table_name="chat_inbox")

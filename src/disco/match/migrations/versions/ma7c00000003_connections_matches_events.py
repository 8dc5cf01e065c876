"""connections, matches, local events

Revision ID: ma7c00000003
Revises: ma7c00000002
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

revision: str = "ma7c00000003"
down_revision: str | None = "ma7c00000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

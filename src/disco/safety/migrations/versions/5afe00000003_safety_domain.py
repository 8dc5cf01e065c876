"""alerts, check-ins, reports, ratings, venues

Revision ID: 5afe00000003
Revises: 5afe00000002
Create Date: 2026-11-25 11:40:00
"""

from collections.abc import Sequence

revision: str = "5afe00000003"
down_revision: str | None = "5afe00000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

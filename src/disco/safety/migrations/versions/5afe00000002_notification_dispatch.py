"""notification dispatch tables

Revision ID: 5afe00000002
Revises: 75b48c3ff73c
Create Date: 2026-11-25 11:40:00
"""

from collections.abc import Sequence

revision: str = "5afe00000002"
down_revision: str | None = "75b48c3ff73c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

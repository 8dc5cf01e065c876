"""discovery state and the users projection

Revision ID: ma7c00000002
Revises: b708ce0692b1
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

revision: str = "ma7c00000002"
down_revision: str | None = "b708ce0692b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

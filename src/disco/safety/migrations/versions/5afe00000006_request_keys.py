"""idempotency keys of alerts and check-ins

Revision ID: 5afe00000006
Revises: 5afe00000005
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import disco.platform.db

revision: str = "5afe00000006"
down_revision: str | None = "5afe00000005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_request_keys",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("sealed_request", sa.Text(), nullable=False),
        sa.Column("created_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kind", "key"),
    )
    op.create_index("ix_safety_request_keys_created_at", "safety_request_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_safety_request_keys_created_at", table_name="safety_request_keys")
    op.drop_table("safety_request_keys")

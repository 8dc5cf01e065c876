"""two-factor: recovery codes, and the last TOTP step accepted (replay guard)

Revision ID: 4549c924c7fa
Revises: 0858c1273c7e
Create Date: 2026-11-25 09:34:08.597296
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import disco.platform.db

revision: str = "4549c924c7fa"
down_revision: str | None = "0858c1273c7e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_recovery_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("used_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["auth_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    with op.batch_alter_table("auth_recovery_codes", schema=None) as batch_op:
        batch_op.create_index("ix_auth_recovery_codes_user", ["user_id"], unique=False)

    with op.batch_alter_table("auth_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("auth_users", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")

    with op.batch_alter_table("auth_recovery_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_auth_recovery_codes_user")

    op.drop_table("auth_recovery_codes")

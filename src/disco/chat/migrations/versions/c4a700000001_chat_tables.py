"""Chat: rooms, members, messages (partitioned by expiry hour on PostgreSQL), client ids,
media, people and privacy settings.

Revision ID: c4a700000001
Revises:
Create Date: 2026-12-06 07:03:14.511430
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import disco.platform.db

revision: str = "c4a700000001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_client_ids",
        sa.Column("room_id", sa.String(length=36), nullable=False),
        sa.Column("sender_id", sa.String(length=36), nullable=False),
        sa.Column("client_message_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("expires_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "sender_id", "client_message_id"),
    )
    with op.batch_alter_table("chat_client_ids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chat_client_ids_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "chat_inbox",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("handler", sa.String(length=120), nullable=False),
        sa.Column("handled_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "handler"),
    )
    op.create_table(
        "chat_media",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("room_id", sa.String(length=36), nullable=False),
        sa.Column("uploader_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("created_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("chat_media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_media_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_chat_media_room_id"), ["room_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_chat_media_uploader_id"), ["uploader_id"], unique=False
        )

    op.create_table(
        "chat_members",
        sa.Column("room_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("peer_id", sa.String(length=36), nullable=False),
        sa.Column("delivered_seq", sa.BigInteger(), nullable=False),
        sa.Column("read_seq", sa.BigInteger(), nullable=False),
        sa.Column("can_read", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "user_id"),
    )
    with op.batch_alter_table("chat_members", schema=None) as batch_op:
        batch_op.create_index("ix_chat_members_user", ["user_id"], unique=False)

    op.create_table(
        "chat_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("expires_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("room_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("sender_id", sa.String(length=36), nullable=False),
        sa.Column("sender_device_id", sa.String(length=64), nullable=True),
        sa.Column("client_message_id", sa.String(length=64), nullable=True),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("franking_tag", sa.String(length=44), nullable=True),
        sa.Column("server_tag", sa.String(length=44), nullable=True),
        sa.Column("media_ids", sa.Text(), nullable=True),
        sa.Column("sent_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", "expires_at"),
        postgresql_partition_by="RANGE (expires_at)",
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index("ix_chat_messages_expiry", ["expires_at"], unique=False)
        batch_op.create_index("ix_chat_messages_room_seq", ["room_id", "seq"], unique=False)
        batch_op.create_index("ix_chat_messages_sender", ["sender_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Whatever no hourly partition takes (the expiry job makes them ahead) lands here
        # rather than failing the send; the job deletes its expired rows.
        op.execute("create table chat_messages_default partition of chat_messages default")

    op.create_table(
        "chat_outbox",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("event_version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_table(
        "chat_devices",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("identity_key", sa.String(length=44), nullable=False),
        sa.Column("signed_prekey_id", sa.BigInteger(), nullable=False),
        sa.Column("signed_prekey", sa.String(length=44), nullable=False),
        sa.Column("signed_prekey_signature", sa.String(length=88), nullable=False),
        sa.Column("updated_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "device_id"),
    )
    op.create_table(
        "chat_prekeys",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.BigInteger(), nullable=False),
        sa.Column("public_key", sa.String(length=44), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "device_id", "key_id"),
    )
    op.create_table(
        "chat_people",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "chat_privacy",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("read_receipts", sa.Boolean(), nullable=False),
        sa.Column("typing", sa.Boolean(), nullable=False),
        sa.Column("presence", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "chat_rooms",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("match_id", sa.String(length=36), nullable=False),
        sa.Column("user_low", sa.String(length=36), nullable=False),
        sa.Column("user_high", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_reason", sa.String(length=20), nullable=True),
        sa.Column("timer_seconds", sa.Integer(), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_message_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", disco.platform.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", disco.platform.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("match_id"),
    )
    with op.batch_alter_table("chat_rooms", schema=None) as batch_op:
        batch_op.create_index("ix_chat_rooms_pair", ["user_low", "user_high"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chat_rooms", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_rooms_pair")

    op.drop_table("chat_rooms")
    op.drop_table("chat_privacy")
    op.drop_table("chat_people")
    op.drop_table("chat_prekeys")
    op.drop_table("chat_devices")
    op.drop_table("chat_outbox")
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_messages_sender")
        batch_op.drop_index("ix_chat_messages_room_seq")
        batch_op.drop_index("ix_chat_messages_expiry")

    op.drop_table("chat_messages")
    with op.batch_alter_table("chat_members", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_members_user")

    op.drop_table("chat_members")
    with op.batch_alter_table("chat_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_media_uploader_id"))
        batch_op.drop_index(batch_op.f("ix_chat_media_room_id"))
        batch_op.drop_index(batch_op.f("ix_chat_media_expires_at"))

    op.drop_table("chat_media")
    op.drop_table("chat_inbox")
    with op.batch_alter_table("chat_client_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_client_ids_expires_at"))

    op.drop_table("chat_client_ids")

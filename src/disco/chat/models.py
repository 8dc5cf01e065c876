"""The chat service's tables. Message bodies are the clients' ciphertext, never read here.

On PostgreSQL ``chat_messages`` is partitioned by range of ``expires_at`` (hourly partitions,
made ahead and dropped whole once past, by ``chat/expiry.py``), so expiry costs no mass DELETE
and leaves no bloat; on SQLite expired rows are deleted by the indexed ``expires_at``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from disco.platform.db import UtcDateTime, erased_table, inbox_table, outbox_table

__all__ = [
    "client_ids",
    "devices",
    "inbox",
    "media",
    "members",
    "messages",
    "metadata",
    "outbox",
    "people",
    "prekeys",
    "privacy",
    "rooms",
]

metadata = MetaData()

outbox = outbox_table(metadata, "chat")
inbox = inbox_table(metadata, "chat")
erased_users = erased_table(metadata, "chat")

# One room per match, opened by match.created and closed (never reopened) by unmatch, a block
# or an account's deletion. ``last_seq`` hands out each message's number in the room.
rooms = Table(
    "chat_rooms",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("match_id", String(36), nullable=False, unique=True),
    Column("user_low", String(36), nullable=False),  # the smaller of the two ids
    Column("user_high", String(36), nullable=False),
    Column("status", String(10), nullable=False),  # open | closed
    Column("closed_reason", String(20)),  # unmatched | blocked | deleted
    Column("timer_seconds", Integer),  # a shorter disappearing-message timer both chose
    Column("last_seq", BigInteger, nullable=False, default=0),
    Column("last_message_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime()),
    Index("ix_chat_rooms_pair", "user_low", "user_high"),
)

# Each member's view of a room: how far they have received and read, and whether they may
# still read it (a person who was blocked may not; the one who blocked keeps it to report).
members = Table(
    "chat_members",
    metadata,
    Column("room_id", String(36), primary_key=True),
    Column("user_id", String(36), primary_key=True),
    Column("peer_id", String(36), nullable=False),
    Column("delivered_seq", BigInteger, nullable=False, default=0),
    Column("read_seq", BigInteger, nullable=False, default=0),
    Column("can_read", Boolean, nullable=False, default=True),
    Index("ix_chat_members_user", "user_id"),
)

# The ciphertext of each message, for its room's members until it expires.
messages = Table(
    "chat_messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("expires_at", UtcDateTime(), primary_key=True),  # the partition key on PostgreSQL
    Column("room_id", String(36), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("sender_id", String(36), nullable=False),
    Column("sender_device_id", String(64)),
    Column("client_message_id", String(64)),
    Column("ciphertext", Text, nullable=False),  # base64, as the client sent it
    Column("franking_tag", String(44)),  # the sender's commitment, base64 of 32 bytes
    Column("server_tag", String(44)),  # our binding of it to sender, room, id and time
    Column("media_ids", Text),  # JSON list of attachment ids, or null
    Column("sent_at", UtcDateTime(), nullable=False),
    Index("ix_chat_messages_room_seq", "room_id", "seq"),
    Index("ix_chat_messages_sender", "sender_id"),
    Index("ix_chat_messages_expiry", "expires_at"),
    postgresql_partition_by="RANGE (expires_at)",
)

# A sender's own id for each message it sent: the same clientMessageId again returns the same
# message. Apart from the messages, because a unique constraint of a partitioned table would
# have to include the partition key.
client_ids = Table(
    "chat_client_ids",
    metadata,
    Column("room_id", String(36), primary_key=True),
    Column("sender_id", String(36), primary_key=True),
    Column("client_message_id", String(64), primary_key=True),
    Column("message_id", String(36), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
)

# Attachments: opaque (encrypted) bytes in the blob store, expiring with their message (or an
# hour after upload if no message ever names them).
media = Table(
    "chat_media",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("room_id", String(36), nullable=False, index=True),
    Column("uploader_id", String(36), nullable=False, index=True),
    Column("message_id", String(36)),
    Column("size", BigInteger, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
)

# The public-key directory of end-to-end encryption: each device's long-term identity key
# (Ed25519, also used for X25519 the way libsodium converts it) and its current signed prekey.
devices = Table(
    "chat_devices",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("device_id", String(64), primary_key=True),
    Column("identity_key", String(44), nullable=False),
    Column("signed_prekey_id", BigInteger, nullable=False),
    Column("signed_prekey", String(44), nullable=False),
    Column("signed_prekey_signature", String(88), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# One-time prekeys: each handed out once, to the first peer who asks, then gone.
prekeys = Table(
    "chat_prekeys",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("device_id", String(64), primary_key=True),
    Column("key_id", BigInteger, primary_key=True),
    Column("public_key", String(44), nullable=False),
)

# First names for the room list, from users.profile.updated.
people = Table(
    "chat_people",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("first_name", String(100), nullable=False),
)

# What each person shares in chats; each setting is reciprocal (off: you neither send nor see).
privacy = Table(
    "chat_privacy",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("read_receipts", Boolean, nullable=False, default=True),
    Column("typing", Boolean, nullable=False, default=True),
    Column("presence", Boolean, nullable=False, default=True),
)

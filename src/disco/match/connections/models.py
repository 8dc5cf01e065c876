"""The connection table: one row per pair, from the first expression of interest to unmatch."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, UniqueConstraint

from disco.match.models import metadata
from disco.platform.db import UtcDateTime

__all__ = ["connections"]

# A request and, once both want it, the match it became (same row, same id: the match id).
# One row per pair, whoever asked first, so mutual interest meets in one place; unmatching
# deletes it, so a new match needs fresh interest from both.
connections = Table(
    "match_connections",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("requester_id", String(36), nullable=False),
    Column("recipient_id", String(36), nullable=False),
    Column("user_low", String(36), nullable=False),  # the smaller of the two ids
    Column("user_high", String(36), nullable=False),
    Column("status", String(10), nullable=False),  # pending | declined | accepted
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("matched_at", UtcDateTime()),
    UniqueConstraint("user_low", "user_high", name="uq_match_connections_pair"),
    Index("ix_match_connections_requester", "requester_id"),
    Index("ix_match_connections_recipient", "recipient_id"),
)

"""The match service's tables. Never a location: positions live only in the presence index."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table

from disco.platform.db import UtcDateTime, inbox_table, outbox_table

metadata = MetaData()

# Pairs that were told about each other, and when last: only a pair that met may connect.
# No place, no distance: just who and when.
encounters = Table(
    "match_encounters",
    metadata,
    Column("user_low", String(36), primary_key=True),  # the smaller of the two ids
    Column("user_high", String(36), primary_key=True),
    Column("met_at", UtcDateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata, "match")
inbox = inbox_table(metadata, "match")

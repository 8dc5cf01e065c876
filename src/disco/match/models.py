"""The match service's tables. Never a location: positions live only in the presence index."""

from __future__ import annotations

from sqlalchemy import MetaData

from disco.platform.db import inbox_table, outbox_table

metadata = MetaData()

outbox = outbox_table(metadata, "match")
inbox = inbox_table(metadata, "match")

"""The safety service's tables. Alert trails and contact details are encrypted at rest."""

from __future__ import annotations

from sqlalchemy import MetaData

from disco.platform.db import inbox_table, outbox_table

metadata = MetaData()

outbox = outbox_table(metadata, "safety")
inbox = inbox_table(metadata, "safety")

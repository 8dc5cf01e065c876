"""Revocation marks that survive the loss of the key-value store.

Verifiers refuse a revoked access token by its marks in the shared store (``platform/security``),
which runs without persistence: Redis also holds the discovery presence index, and discovery
locations never touch disk. A restart of it would un-revoke every logged-out token until its
expiry. The database has the truth (``auth_sessions.revoked_at``), so auth writes the marks
back from it whenever the store has lost them, and only then declares the marks complete;
until that key is there again, verifiers refuse tokens (503) instead of admitting revoked ones.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from disco.auth.sessions.repository import SessionsRepository
from disco.platform.clock import Clock
from disco.platform.db import Database
from disco.platform.kv import KeyValue
from disco.platform.security import declare_marks_complete, marks_complete, revoke_session

__all__ = ["RevocationMarks"]

log = logging.getLogger(__name__)


class RevocationMarks:
    def __init__(self, db: Database, kv: KeyValue, clock: Clock, mark_ttl_seconds: float) -> None:
        self._db = db
        self._kv = kv
        self._clock = clock
        # As long as any access token of a revoked session could still be presented.
        self._ttl = mark_ttl_seconds

    async def restore_if_lost(self) -> int | None:
        """Write back the mark of every session revoked within a token's lifetime, then
        declare the marks complete; None (and nothing done) if they are complete already."""
        if await marks_complete(self._kv):
            return None
        now = self._clock.now()
        async with self._db.unit_of_work("auth.restore_revocations") as uow:
            revoked = await SessionsRepository(uow).sessions_revoked_since(
                now - timedelta(seconds=self._ttl)
            )
        for session_id, revoked_at in revoked:
            left = self._ttl - (now - revoked_at).total_seconds()
            if left > 0:
                await revoke_session(self._kv, session_id, ttl=left)
        await declare_marks_complete(self._kv)
        log.info("revocation marks written from the database: %d sessions", len(revoked))
        return len(revoked)

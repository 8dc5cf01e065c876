"""Every SQL statement of profiles and preferences, and the resealing of every stored secret.

Emergency contacts, privacy zones and blocks have their own repositories beside their code
(``contacts/repository.py``, ``privacy/repository.py``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update

from disco.platform.repository import Repository
from disco.users import models as m

__all__ = ["PreferencesRow", "ProfileRow", "UsersRepository"]


@dataclass(frozen=True, slots=True)
class ProfileRow:
    user_id: str
    first_name: str
    last_name: str
    bio: str
    birth_date: date | None
    interests: list[str]
    activities: list[str]
    mode: str
    visibility: dict[str, Any]
    photo_key: str | None
    deactivated_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PreferencesRow:
    discovery_radius_meters: int
    time_windows: list[dict[str, Any]]
    age_min: int | None
    age_max: int | None
    professional_only: bool


def _hash(user_id: str) -> str:
    return hashlib.sha256(user_id.encode()).hexdigest()


_PREFERENCES = [m.preferences.c[name] for name in PreferencesRow.__dataclass_fields__]
# Every table with a column sealed by the field cipher, each keyed by ``id``.


class UsersRepository(Repository):
    # --- profiles -------------------------------------------------------------------------------
    async def profile(self, user_id: str) -> ProfileRow | None:
        p = m.profiles
        row = (await self._s.execute(select(p).where(p.c.user_id == user_id))).first()
        return ProfileRow(**row._asdict()) if row else None

    async def add_profile(self, **values: Any) -> bool:
        """Insert the profile unless the user has one (made, or being made, by another
        transaction: PostgreSQL waits for it); True if this one made it."""
        return await self.insert_new(m.profiles, values)

    async def update_profile(self, user_id: str, **values: Any) -> None:
        p = m.profiles
        await self._s.execute(update(p).where(p.c.user_id == user_id).values(**values))

    async def delete_profile(self, user_id: str) -> None:
        """Everything else of the user's goes with it (foreign keys cascade)."""
        await self._s.execute(delete(m.profiles).where(m.profiles.c.user_id == user_id))

    # --- erased accounts ------------------------------------------------------------------------
    async def mark_erased(self, user_id: str, now: datetime) -> None:
        await self.insert_new(m.erased_accounts, {"user_hash": _hash(user_id), "erased_at": now})

    async def was_erased(self, user_id: str) -> bool:
        e = m.erased_accounts
        query = select(e.c.user_hash).where(e.c.user_hash == _hash(user_id))
        return (await self._s.execute(query)).first() is not None

    # --- preferences ----------------------------------------------------------------------------
    async def preferences(self, user_id: str) -> PreferencesRow | None:
        query = select(*_PREFERENCES).where(m.preferences.c.user_id == user_id)
        row = (await self._s.execute(query)).first()
        return PreferencesRow(**row._asdict()) if row else None

    async def put_preferences(self, user_id: str, **values: Any) -> None:
        await self.upsert(m.preferences, {"user_id": user_id, **values}, key=["user_id"])

    # --- key rotation ---------------------------------------------------------------------------

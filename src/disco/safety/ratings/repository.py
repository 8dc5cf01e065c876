"""Every SQL statement of meeting ratings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select

from disco.platform.repository import Repository
from disco.safety import models as m

__all__ = ["RatingStats", "RatingsRepository"]


@dataclass(frozen=True, slots=True)
class RatingStats:
    count: int
    total: int


class RatingsRepository(Repository):
    async def add(self, **values: Any) -> bool:
        """False if this rater already rated this match."""
        return await self.insert_new(m.ratings, values)

    async def stats(self, user_id: str) -> RatingStats:
        r = m.ratings
        query = select(func.count(), func.coalesce(func.sum(r.c.score), 0)).where(
            r.c.rated_id == user_id
        )
        count, total = (await self._s.execute(query)).one()
        return RatingStats(count=int(count), total=int(total))

    async def erase_user(self, user_id: str) -> None:
        g = m.ratings
        await self._s.execute(
            delete(g).where(or_(g.c.rater_id == user_id, g.c.rated_id == user_id))
        )

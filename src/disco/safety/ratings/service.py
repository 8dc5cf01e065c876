"""The rules of ratings (once per person per match, by a participant) and of the trust score
made of them. Never commits."""

from __future__ import annotations

from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork
from disco.platform.errors import Conflict
from disco.safety.moderation.repository import ModerationRepository
from disco.safety.people.service import partner_in
from disco.safety.ratings.repository import RatingsRepository
from disco.safety.ratings.schemas import Rating, RatingIn, TrustScore

__all__ = ["TRUST_PRIOR_MEAN", "TRUST_PRIOR_WEIGHT", "RatingsService", "trust_score"]

# Trust score: a Bayesian average of the 1-5 ratings a user received, pulled towards a neutral
# prior so that one rating cannot make or break anyone: (C*m + sum) / (C + n).
TRUST_PRIOR_MEAN = 3.5
TRUST_PRIOR_WEIGHT = 5


def trust_score(count: int, total: int) -> float:
    return round((TRUST_PRIOR_WEIGHT * TRUST_PRIOR_MEAN + total) / (TRUST_PRIOR_WEIGHT + count), 2)


class RatingsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._clock = ctx.clock

    async def rate(self, uow: UnitOfWork, rater_id: str, body: RatingIn) -> Rating:
        """Once per person per match, by a participant; the match may since have ended."""
        partner = await partner_in(uow, rater_id, body.match_id)
        now = self._clock.now()
        added = await RatingsRepository(uow).add(
            match_id=body.match_id,
            rater_id=rater_id,
            rated_id=partner,
            score=body.score,
            comment=body.comment,
            created_at=now,
        )
        if not added:
            raise Conflict("You already rated this match.")
        return Rating(
            match_id=body.match_id, score=body.score, comment=body.comment, created_at=now
        )

    async def trust_of(self, uow: UnitOfWork, user_id: str) -> TrustScore:
        """For moderators' eyes only (the caller checks): ratings received, reports filed."""
        stats = await RatingsRepository(uow).stats(user_id)
        return TrustScore(
            user_id=user_id,
            score=trust_score(stats.count, stats.total),
            ratings=stats.count,
            reports=await ModerationRepository(uow).count_reports_about(user_id),
        )

    async def erase_user(self, uow: UnitOfWork, user_id: str) -> None:
        await RatingsRepository(uow).erase_user(user_id)

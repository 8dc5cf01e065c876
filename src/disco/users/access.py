"""The two questions every part of the users service asks first: does the caller have a
profile yet, and may this viewer see that person at all."""

from __future__ import annotations

from datetime import datetime

from disco.platform.db import UnitOfWork
from disco.platform.errors import NotFound
from disco.users.privacy.repository import PrivacyRepository
from disco.users.repository import ProfileRow, UsersRepository

__all__ = ["NO_PROFILE", "own_profile", "visible_profile"]

NO_PROFILE = "No such user."


async def own_profile(uow: UnitOfWork, user_id: str) -> ProfileRow:
    """The caller's profile. Missing only for a deleted account, or for a new one whose profile
    auth has not asked for yet: worth another try in a moment."""
    profile = await UsersRepository(uow).profile(user_id)
    if profile is None:
        raise NotFound(NO_PROFILE, headers={"Retry-After": "1"})
    return profile


async def visible_profile(
    uow: UnitOfWork, viewer_id: str, user_id: str, now: datetime
) -> ProfileRow:
    """``user_id``'s profile, unless it is deactivated or either of the two blocked the other:
    then 404, the same as for nobody."""
    profile = await UsersRepository(uow).profile(user_id)
    if (
        profile is None
        or profile.deactivated_at is not None
        or await PrivacyRepository(uow).blocked_either_way(viewer_id, user_id, now)
    ):
        raise NotFound(NO_PROFILE)
    return profile

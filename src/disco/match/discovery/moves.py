"""Moving a user in presence to where a fix puts them, if the fix may (``placement.py``).

The fix is checked against the last fix this process stored for the user (presence recalls
it: no round trip to a shared presence), and the move places them only if that is still the
stored one (``replaces``). If another process moved them meanwhile, the fix is checked again
against the fix presence holds. A fix refused against the recalled copy is checked again too,
so an out-of-date copy never refuses a plausible fix, nor passes an implausible one.
"""

from __future__ import annotations

from disco.match.discovery.members import Member
from disco.match.discovery.placement import Placed, Placement, Refusal
from disco.match.discovery.schemas import LocationIn
from disco.match.presence import Fix, FixChanged, Presence, Replaces

__all__ = ["Moves"]


class Moves:
    def __init__(self, presence: Presence, placement: Placement) -> None:
        self._presence = presence
        self._placement = placement

    async def checked(
        self, user_id: str, fix: LocationIn, taken_at: float, now_s: float, *, recalled: bool
    ) -> tuple[Placed | Refusal, Fix | None]:
        """Where the fix places the user, or why it may not, and the last fix it was checked
        against: ``recalled``, the one this process stored, else the one presence holds."""
        last = await self._presence.last_fix(user_id, recalled=recalled)
        placed = self._placement.place(user_id, fix.latitude, fix.longitude, taken_at, now_s, last)
        if recalled and not isinstance(placed, Placed):
            return await self.checked(user_id, fix, taken_at, now_s, recalled=False)
        return placed, last

    async def move(
        self,
        member: Member,
        fix: LocationIn,
        taken_at: float,
        now_s: float,
        placed: Placed,
        last: Fix | None,
    ) -> list[str] | Refusal:
        """Move the user to ``placed`` if ``last`` is still their last fix: the partners whose
        encounter just started. If another process moved them meanwhile, the fix is checked
        against the fix presence holds, once more."""
        try:
            return await self._move(member, placed, now_s, replaces=last)
        except FixChanged:
            pass
        again, last = await self.checked(member.user_id, fix, taken_at, now_s, recalled=False)
        if not isinstance(again, Placed):
            return again
        try:
            return await self._move(member, again, now_s, replaces=last)
        except FixChanged:
            return "stale"  # another update of theirs came in between: that one stands

    async def _move(
        self, member: Member, placed: Placed, now_s: float, *, replaces: Replaces
    ) -> list[str]:
        return await self._presence.move(
            member.user_id,
            placed.latitude,
            placed.longitude,
            member.radius_m,
            now_s,
            taken_at=placed.taken_at,
            slack_m=placed.slack_m,
            replaces=replaces,
        )

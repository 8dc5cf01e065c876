"""Rules of connections and matches. Never commits (the caller's unit of work does).

- Interest only in someone you met: a pair told about each other (``match_encounters``) in the
  last ``ENCOUNTER_WINDOW``. Never in yourself, never across a block, never in a hidden account;
  all of these answer the same 404, so a refusal tells nothing about why.
- One row per pair. Interest in someone whose request awaits you accepts it: mutual interest
  is a match, whichever way it came about. Repeating anything is harmless.
- A decline is silent: its sender keeps seeing ``pending`` and is told nothing; the recipient
  may still change their mind and accept.
- Unmatching deletes the pair's row: a new match needs fresh interest, and an accept.
- A match is announced once (``match.created`` opens the chat) with a ``match_update`` frame to
  each; unmatching announces ``match.ended`` (closes it) the same way.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Literal

from disco.clients.users import UsersClient
from disco.contracts.api.users import PublicProfile
from disco.contracts.events.match import ConnectionRequested, MatchCreated, MatchEnded
from disco.contracts.events.realtime import RealtimePushed
from disco.match.connections.repository import (
    ACCEPTED,
    DECLINED,
    ConnectionRow,
    ConnectionsRepository,
)
from disco.match.connections.schemas import Connection, Match, MatchPage
from disco.match.engine.geo import BUCKETS, Bucket
from disco.match.presence import Presence
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import Conflict, NotFound

__all__ = ["ENCOUNTER_WINDOW", "ConnectionsService", "erase_user_connections", "within"]

ENCOUNTER_WINDOW = timedelta(hours=24)

_NOBODY = "No one you met nearby by that id."
_NO_CONNECTION = "No such connection request."
_NO_MATCH = "No such match."

Level = Literal["nearby", "match"]


def within(bucket: Bucket, radius_m: float) -> bool:
    """Whether a match shown in ``bucket`` may be within ``radius_m``. The bucket is all anyone
    knows of the distance, so a filter finer than it must not reveal more: a match counts when
    its bucket reaches below the radius."""
    lower = max((b.max_m for b in BUCKETS if b.max_m < bucket.max_m), default=0.0)
    return lower < radius_m


class ConnectionsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._clock = ctx.clock
        self._users = UsersClient(ctx.services)

    # --- interest -------------------------------------------------------------------------------
    async def express_interest(self, uow: UnitOfWork, user_id: str, other_id: str) -> Connection:
        if other_id == user_id:
            raise NotFound(_NOBODY)
        # The users service is the authority on blocks and hidden accounts; asked before any
        # write, so no transaction waits on it.
        profile = await self._users.profile_view(other_id, user_id, "nearby")
        if profile is None:
            raise NotFound(_NOBODY)
        repo = ConnectionsRepository(uow)
        while True:
            row = await repo.between(user_id, other_id)
            if row is not None:
                if row.status == ACCEPTED or row.requester_id == user_id:
                    return self._view(row, user_id, profile)
                # They asked first: this is mutual interest.
                return self._view(await self._match(uow, repo, row), user_id, profile)
            now = self._clock.now()
            if not await repo.met_since(user_id, other_id, now - ENCOUNTER_WINDOW):
                raise NotFound(_NOBODY)
            connection_id = new_id()
            if await repo.add_request(connection_id, user_id, other_id, now):
                break
            # The other asked at this very moment: read their row and answer it.
        await uow.publish(
            ConnectionRequested(
                connection_id=connection_id, requester_id=user_id, recipient_id=other_id
            )
        )
        await uow.publish(
            RealtimePushed(
                user_ids=[other_id],
                frame_type="connection_request",
                data={"connectionId": connection_id, "userId": user_id},
            )
        )
        added = await repo.get(connection_id)
        assert added is not None  # written just above, in this transaction
        return self._view(added, user_id, profile)

    async def accept(self, uow: UnitOfWork, user_id: str, connection_id: str) -> Connection:
        row, profile = await self._incoming(uow, user_id, connection_id)
        if row.status != ACCEPTED:
            row = await self._match(uow, ConnectionsRepository(uow), row)
        return self._view(row, user_id, profile)

    async def decline(self, uow: UnitOfWork, user_id: str, connection_id: str) -> Connection:
        row, profile = await self._incoming(uow, user_id, connection_id)
        if row.status == ACCEPTED:
            raise Conflict("You are matched already: unmatch instead.")
        repo = ConnectionsRepository(uow)
        await repo.decline(row.id)
        declined = await repo.get(row.id)
        assert declined is not None  # read just above, in this transaction
        return self._view(declined, user_id, profile)

    async def connections(self, uow: UnitOfWork, user_id: str) -> list[Connection]:
        """Incoming and outgoing, newest first; people now hidden or blocked are left out."""
        rows = await ConnectionsRepository(uow).of_user(user_id)
        profiles = await self._profiles(rows, user_id, "nearby")
        return [
            self._view(row, user_id, profile)
            for row, profile in zip(rows, profiles, strict=True)
            if profile is not None
        ]

    async def _incoming(
        self, uow: UnitOfWork, user_id: str, connection_id: str
    ) -> tuple[ConnectionRow, PublicProfile]:
        """A request to the user, and its sender as they may see them; NotFound if the sender
        is now blocked or hidden."""
        row = await ConnectionsRepository(uow).get(connection_id)
        if row is None or row.recipient_id != user_id:
            raise NotFound(_NO_CONNECTION)
        profile = await self._users.profile_view(row.requester_id, user_id, "nearby")
        if profile is None:
            raise NotFound(_NO_CONNECTION)
        return row, profile

    async def _match(
        self, uow: UnitOfWork, repo: ConnectionsRepository, row: ConnectionRow
    ) -> ConnectionRow:
        if await repo.accept(row.id, self._clock.now()):
            users = [row.requester_id, row.recipient_id]
            names = await repo.first_names(users)
            await uow.publish(MatchCreated(match_id=row.id, user_ids=users, first_names=names))
            await _push_update(uow, row, "matched")
        matched = await repo.get(row.id)
        assert matched is not None  # read just above, in this transaction
        return matched

    # --- matches --------------------------------------------------------------------------------
    async def matches(
        self,
        uow: UnitOfWork,
        presence: Presence,
        user_id: str,
        *,
        limit: int,
        offset: int,
        radius_m: float | None,
    ) -> MatchPage:
        """Newest first. Hidden and blocked people are left out before counting, so ``total``
        is what the caller can page through."""
        rows = await ConnectionsRepository(uow).matches(user_id)
        buckets = list(
            await asyncio.gather(*(presence.bucket(user_id, row.other(user_id)) for row in rows))
        )
        if radius_m is not None:
            kept = [
                (row, bucket)
                for row, bucket in zip(rows, buckets, strict=True)
                if bucket is not None and within(bucket, radius_m)
            ]
            rows, buckets = [row for row, _ in kept], [bucket for _, bucket in kept]
        profiles = await self._profiles(rows, user_id, "match")
        visible = [
            Match(
                id=row.id,
                user_id=row.other(user_id),
                name=profile.first_name,
                bio=profile.bio,
                profile_image=profile.photo_url,
                distance=bucket.label if bucket else None,
                shared_interests=profile.shared_interests,
            )
            for row, bucket, profile in zip(rows, buckets, profiles, strict=True)
            if profile is not None
        ]
        page = visible[offset : offset + limit]
        return MatchPage(matches=page, total=len(visible), has_more=offset + limit < len(visible))

    async def unmatch(self, uow: UnitOfWork, user_id: str, match_id: str) -> None:
        repo = ConnectionsRepository(uow)
        row = await repo.get(match_id)
        if row is None or row.status != ACCEPTED or not row.names(user_id):
            raise NotFound(_NO_MATCH)
        if await repo.remove(row.id):
            await _announce_end(uow, row)

    # --- helpers --------------------------------------------------------------------------------
    async def _profiles(
        self, rows: list[ConnectionRow], user_id: str, level: Level
    ) -> list[PublicProfile | None]:
        return list(
            await asyncio.gather(
                *(self._users.profile_view(row.other(user_id), user_id, level) for row in rows)
            )
        )

    @staticmethod
    def _view(row: ConnectionRow, user_id: str, profile: PublicProfile) -> Connection:
        outgoing = row.requester_id == user_id
        # The sender is never told of a decline.
        status = "pending" if outgoing and row.status == DECLINED else row.status
        return Connection(
            id=row.id,
            user_id=row.other(user_id),
            name=profile.first_name,
            direction="outgoing" if outgoing else "incoming",
            status=status,
            requested_at=row.requested_at,
            match_id=row.id if row.status == ACCEPTED else None,
        )


async def erase_user_connections(uow: UnitOfWork, user_id: str) -> None:
    """``users.user.deleted``: every request and match naming the user goes; their matches
    end (closing the chats) and the partners' apps are told."""
    for row in await ConnectionsRepository(uow).erase_user(user_id):
        if row.status == ACCEPTED:
            await _announce_end(uow, row, notify=[row.other(user_id)])


async def _announce_end(
    uow: UnitOfWork, row: ConnectionRow, notify: list[str] | None = None
) -> None:
    await uow.publish(MatchEnded(match_id=row.id, user_ids=[row.requester_id, row.recipient_id]))
    await _push_update(uow, row, "ended", notify)


async def _push_update(
    uow: UnitOfWork,
    row: ConnectionRow,
    status: Literal["matched", "ended"],
    notify: list[str] | None = None,
) -> None:
    # One frame each: each side is told who the other is.
    for user_id in notify or [row.requester_id, row.recipient_id]:
        await uow.publish(
            RealtimePushed(
                user_ids=[user_id],
                frame_type="match_update",
                data={"matchId": row.id, "userId": row.other(user_id), "status": status},
            )
        )

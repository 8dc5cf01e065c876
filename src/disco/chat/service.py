"""The rules of rooms: opened by a match, closed by unmatch, a block or a deletion; what each
member sees of them; each person's privacy settings; presence; and a person's data."""

from __future__ import annotations

from datetime import datetime

from disco.chat.keys.repository import KeysRepository
from disco.chat.media.repository import MediaRepository
from disco.chat.messages.repository import MessagesRepository
from disco.chat.messages.service import readable_member
from disco.chat.presence import PresenceBook
from disco.chat.repository import ChatRepository, MemberRow, Privacy, RoomRow
from disco.chat.schemas import Peer, PrivacySettings, PrivacySettingsIn, Room, Rooms
from disco.contracts.events.chat import ClosedReason, RoomClosed, RoomOpened
from disco.contracts.events.realtime import RealtimePushed
from disco.platform.bus.ephemeral import publish_now
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import Conflict

__all__ = ["ChatService"]

ANONYMOUS = "Someone"


class ChatService:
    def __init__(self, ctx: ServiceContext, presence: PresenceBook) -> None:
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._bus = ctx.bus
        self._presence = presence

    # --- rooms from matches -----------------------------------------------------------------
    async def open_room(
        self, uow: UnitOfWork, match_id: str, user_ids: list[str], first_names: dict[str, str]
    ) -> None:
        """Names as match knew them fill only the gaps: a copy from a profile event is newer."""
        repo = ChatRepository(uow)
        for user_id, first_name in first_names.items():
            if user_id in user_ids:
                await repo.put_first_name(user_id, first_name, replace=False)
        room_id = new_id()
        if await repo.open_room(room_id, match_id, user_ids, self._clock.now()):
            await uow.publish(RoomOpened(room_id=room_id, match_id=match_id, user_ids=user_ids))
            await self._room_changed(uow, room_id, user_ids, "open")

    async def match_ended(self, uow: UnitOfWork, match_id: str) -> None:
        room = await ChatRepository(uow).room_of_match(match_id)
        if room is not None:
            await self._close(uow, room, "unmatched")

    async def blocked(self, uow: UnitOfWork, blocker_id: str, blocked_id: str) -> None:
        """Absolute: the pair's rooms close, and the person blocked can no longer read them
        (the one who blocked keeps them, to report from)."""
        repo = ChatRepository(uow)
        for room in await repo.rooms_naming(blocked_id):
            if blocker_id in room.user_ids:
                await repo.forbid_reading(room.id, blocked_id)
                await self._close(uow, room, "blocked")

    async def erase_user(self, uow: UnitOfWork, user_id: str) -> None:
        """A deleted account: its rooms close and its messages go (the peer keeps their own
        side until it expires). Its attachments expire now, so the expiry job deletes their
        bytes durably, whatever happens to this process after the commit."""
        repo = ChatRepository(uow)
        for room in await repo.rooms_naming(user_id):
            await self._close(uow, room, "deleted")
        await MessagesRepository(uow).delete_sent_by(user_id)
        await MediaRepository(uow).expire_uploaded_by(user_id, self._clock.now())
        await KeysRepository(uow).erase_user(user_id)
        await repo.erase_member(user_id)
        await repo.erase_person(user_id)

    async def _close(self, uow: UnitOfWork, room: RoomRow, reason: ClosedReason) -> None:
        if await ChatRepository(uow).close_room(room.id, reason, self._clock.now()):
            await uow.publish(
                RoomClosed(
                    room_id=room.id, match_id=room.match_id, user_ids=room.user_ids, reason=reason
                )
            )
            await self._room_changed(uow, room.id, room.user_ids, "closed")

    async def _room_changed(
        self, uow: UnitOfWork, room_id: str, user_ids: list[str], status: str
    ) -> None:
        frame = {"roomId": room_id, "status": status}
        await uow.publish(RealtimePushed(user_ids=user_ids, frame_type="room_update", data=frame))

    async def put_first_name(self, uow: UnitOfWork, user_id: str, first_name: str) -> None:
        await ChatRepository(uow).put_first_name(user_id, first_name)

    # --- what a member sees -----------------------------------------------------------------
    async def rooms(self, uow: UnitOfWork, user_id: str) -> Rooms:
        repo = ChatRepository(uow)
        rooms = await repo.rooms_of(user_id)
        peers = [room.peer_of(user_id) for room in rooms]
        context = await self._context(repo, user_id, peers)
        unread = await repo.unread_counts(user_id, self._clock.now())
        members = await repo.members_of(user_id)
        peer_members = {
            room.id: await repo.member(room.id, room.peer_of(user_id)) for room in rooms
        }
        return Rooms(
            rooms=[
                self._room(
                    room, members[room.id], peer_members[room.id], unread.get(room.id, 0), context
                )
                for room in rooms
            ]
        )

    async def room(self, uow: UnitOfWork, user_id: str, room_id: str) -> Room:
        repo = ChatRepository(uow)
        member = await readable_member(repo, room_id, user_id)
        room = await repo.room(room_id)
        assert room is not None
        context = await self._context(repo, user_id, [member.peer_id])
        unread = await repo.unread_counts(user_id, self._clock.now())
        peer = await repo.member(room_id, member.peer_id)
        return self._room(room, member, peer, unread.get(room_id, 0), context)

    async def _context(
        self, repo: ChatRepository, user_id: str, peers: list[str]
    ) -> tuple[dict[str, str], dict[str, Privacy], dict[str, tuple[bool, datetime | None]]]:
        names = await repo.first_names(peers)
        privacy = await repo.privacy([user_id, *peers])
        shown = [p for p in peers if privacy[user_id].presence and privacy[p].presence]
        return names, privacy, await self._presence.view(shown)

    def _room(
        self,
        room: RoomRow,
        member: MemberRow,
        peer_member: MemberRow | None,
        unread: int,
        context: tuple[dict[str, str], dict[str, Privacy], dict[str, tuple[bool, datetime | None]]],
    ) -> Room:
        names, privacy, presence = context
        peer_id = member.peer_id
        online, last_seen = presence.get(peer_id, (None, None))
        receipts = privacy[member.user_id].read_receipts and privacy[peer_id].read_receipts
        return Room(
            id=room.id,
            match_id=room.match_id,
            peer=Peer(
                user_id=peer_id,
                name=names.get(peer_id, ANONYMOUS),
                online=online,
                last_seen=last_seen,
            ),
            status="open" if room.status == "open" else "closed",
            closed_reason=room.closed_reason,
            last_seq=room.last_seq,
            last_message_at=room.last_message_at,
            unread=unread,
            delivered_seq=member.delivered_seq,
            read_seq=member.read_seq,
            peer_delivered_seq=peer_member.delivered_seq if peer_member else 0,
            peer_read_seq=(peer_member.read_seq if peer_member else 0) if receipts else None,
            timer_seconds=room.timer_seconds or self._settings.chat_message_ttl_seconds,
            created_at=room.created_at,
        )

    async def set_timer(
        self, uow: UnitOfWork, user_id: str, room_id: str, seconds: int | None
    ) -> Room:
        """A shorter disappearing-message timer, for messages sent from now on."""
        repo = ChatRepository(uow)
        await readable_member(repo, room_id, user_id)
        room = await repo.room(room_id)
        assert room is not None
        if room.status != "open":
            raise Conflict("This chat is closed: the match ended.")
        default = self._settings.chat_message_ttl_seconds
        await repo.set_timer(room_id, None if seconds is None or seconds >= default else seconds)
        await self._room_changed(uow, room_id, room.user_ids, "open")
        return await self.room(uow, user_id, room_id)

    # --- privacy settings -------------------------------------------------------------------
    async def privacy(self, uow: UnitOfWork, user_id: str) -> PrivacySettings:
        mine = (await ChatRepository(uow).privacy([user_id]))[user_id]
        return PrivacySettings(
            read_receipts=mine.read_receipts, typing=mine.typing, presence=mine.presence
        )

    async def put_privacy(
        self, uow: UnitOfWork, user_id: str, body: PrivacySettingsIn
    ) -> PrivacySettings:
        repo = ChatRepository(uow)
        mine = (await repo.privacy([user_id]))[user_id]
        changed = Privacy(
            read_receipts=mine.read_receipts if body.read_receipts is None else body.read_receipts,
            typing=mine.typing if body.typing is None else body.typing,
            presence=mine.presence if body.presence is None else body.presence,
        )
        await repo.put_privacy(user_id, changed)
        return await self.privacy(uow, user_id)

    # --- presence, from the gateways --------------------------------------------------------
    async def presence_changed(
        self, uow: UnitOfWork, user_id: str, online: bool, at: datetime
    ) -> None:
        changed = (
            await self._presence.came_online(user_id)
            if online
            else await self._presence.went_offline(user_id, at)
        )
        if not changed:
            return
        repo = ChatRepository(uow)
        peers = await repo.open_peers_of(user_id)
        privacy = await repo.privacy([user_id, *peers])
        if not privacy[user_id].presence:
            return
        shown = [p for p in peers if privacy[p].presence]
        if shown:
            frame = {"userId": user_id, "online": online, "lastSeen": None if online else at}
            push = RealtimePushed(user_ids=shown, frame_type="presence", data=frame)
            await publish_now(self._bus, push, self._clock.now())

    async def presence_renewed(self, user_ids: list[str]) -> None:
        for user_id in user_ids:
            await self._presence.renew(user_id)

    # --- a person's data --------------------------------------------------------------------
    async def export(self, uow: UnitOfWork, user_id: str) -> dict[str, object]:
        """Chat's share of a data export: rooms, counts and times (no ciphertext: it is
        unreadable here, and the person's devices hold the plaintext)."""
        repo = ChatRepository(uow)
        sent = await MessagesRepository(uow).counts_by_room(user_id)
        return {
            "rooms": [
                {
                    "id": room.id,
                    "matchId": room.match_id,
                    "status": room.status,
                    "createdAt": room.created_at.isoformat(),
                    "lastMessageAt": room.last_message_at.isoformat()
                    if room.last_message_at
                    else None,
                    "messagesInRoom": room.last_seq,
                    "messagesYouSentStillStored": sent.get(room.id, 0),
                }
                for room in await repo.rooms_naming(user_id)
            ]
        }

"""The rules of messages: who may send and read, numbering, idempotency, expiry, receipts and
typing. Never commits: the endpoint's unit of work does, so a message, its ``message`` frames
and its events are stored together (a 201 means it will be delivered, whatever dies next)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from disco.chat.media.repository import MediaRepository
from disco.chat.messages.repository import MessageRow, MessagesRepository
from disco.chat.presence import PresenceBook
from disco.chat.repository import ChatRepository, MemberRow, RoomRow
from disco.chat.schemas import Message, MessageIn, MessagePage
from disco.clients.notify import request_notification
from disco.contracts.events.chat import MessageSent
from disco.contracts.events.notifications import ChatNotificationRequested
from disco.contracts.events.realtime import RealtimePushed
from disco.platform.bus.ephemeral import publish_now
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.encoding import decoded_size
from disco.platform.errors import Conflict, NotFound, RateLimited, ValidationFailed
from disco.platform.franking import server_tag

__all__ = ["MessagesService", "as_message", "readable_member"]

NO_ROOM = "No such chat."


def as_message(row: MessageRow) -> Message:
    return Message(**{name: getattr(row, name) for name in Message.model_fields})


async def readable_member(repo: ChatRepository, room_id: str, user_id: str) -> MemberRow:
    """The caller's membership of a room they may read; 404 for anyone else, alike whether the
    room exists, so nobody learns which rooms there are."""
    member = await repo.member(room_id, user_id)
    if member is None or not member.can_read:
        raise NotFound(NO_ROOM)
    return member


class MessagesService:
    def __init__(self, ctx: ServiceContext, presence: PresenceBook) -> None:
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._kv = ctx.kv
        self._bus = ctx.bus
        self._presence = presence
        self._cipher = ctx.cipher
        self._franking_key = ctx.cipher.derive_secret("franking")

    # --- sending ----------------------------------------------------------------------------
    async def send(self, uow: UnitOfWork, user_id: str, room_id: str, body: MessageIn) -> Message:
        repo, messages = ChatRepository(uow), MessagesRepository(uow)
        member = await readable_member(repo, room_id, user_id)
        size = decoded_size(body.ciphertext)
        if size > self._settings.chat_max_ciphertext_bytes:
            raise ValidationFailed(
                f"The ciphertext is over {self._settings.chat_max_ciphertext_bytes} bytes.",
                details=[{"field": "ciphertext", "message": "too large"}],
            )
        await self._spend_budget(user_id)
        now = self._clock.now()
        message_id = new_id()
        if body.client_message_id is not None:
            # Claimed before anything else: a retry (even one racing the first send) finds the
            # first send's message and answers with it.
            until = now + timedelta(seconds=self._settings.chat_message_ttl_seconds)
            known = await messages.claim_client_id(
                room_id, user_id, body.client_message_id, message_id, until
            )
            if known != message_id:
                existing = await messages.get(known)
                if existing is None:  # expired since: the retry came a day late
                    raise Conflict("That message has expired.")
                return as_message(existing)
        room = await repo.take_next_seq(room_id, now)
        if room is None:
            raise Conflict("This chat is closed: the match ended.")
        seq = room.last_seq
        expires_at = now + timedelta(seconds=self._ttl(room))
        if body.media_ids:
            attached = await MediaRepository(uow).attach(
                body.media_ids, room_id, user_id, message_id, expires_at
            )
            if attached != len(body.media_ids):
                raise ValidationFailed(
                    "Attach only media you uploaded to this chat and have not sent yet.",
                    details=[{"field": "mediaIds", "message": "unknown or already sent"}],
                )
        row = MessageRow(
            id=message_id,
            room_id=room_id,
            seq=seq,
            sender_id=user_id,
            sender_device_id=body.sender_device_id,
            client_message_id=body.client_message_id,
            ciphertext=body.ciphertext,
            franking_tag=body.franking_tag,
            server_tag=None
            if body.franking_tag is None
            else server_tag(
                self._franking_key,
                franking_tag=body.franking_tag,
                sender_id=user_id,
                room_id=room_id,
                message_id=message_id,
                sent_at=now,
            ),
            media_ids=body.media_ids,
            sent_at=now,
            expires_at=expires_at,
        )
        await messages.add(row)
        message = as_message(row)
        frame = message.model_dump(mode="json", by_alias=True)
        await uow.publish(
            RealtimePushed(user_ids=[user_id, member.peer_id], frame_type="message", data=frame)
        )
        await uow.publish(
            MessageSent(
                room_id=room_id,
                message_id=message_id,
                seq=seq,
                sender_id=user_id,
                recipient_id=member.peer_id,
                sent_at=now,
                expires_at=expires_at,
            )
        )
        if not await self._presence.online(member.peer_id):
            await self._push_to(uow, member.peer_id, room_id, now)
        return message

    def _ttl(self, room: RoomRow) -> int:
        default = self._settings.chat_message_ttl_seconds
        return min(default, room.timer_seconds) if room.timer_seconds else default

    async def _push_to(
        self, uow: UnitOfWork, recipient_id: str, room_id: str, now: datetime
    ) -> None:
        # One push per room per window: a burst of messages to a closed app is one buzz.
        window = self._settings.chat_push_collapse_seconds
        bucket = math.floor(now.timestamp() / window)
        await request_notification(
            uow,
            self._cipher,
            ChatNotificationRequested,
            dedupe_key=f"chat:{room_id}:{recipient_id}:{bucket}",
            channel="push",
            user_id=recipient_id,
            subject="New message from a match",
            data={"roomId": room_id},
            frame_type="chat_notification",
        )

    async def _spend_budget(self, user_id: str) -> None:
        count, reset = await self._kv.hit(f"chat:send:{user_id}", 60)
        if count > self._settings.chat_messages_per_minute:
            retry = max(1, math.ceil(reset))
            raise RateLimited(
                "You are sending messages too fast; wait a moment.",
                headers={"Retry-After": str(retry)},
            )

    # --- reading ----------------------------------------------------------------------------
    async def page(
        self,
        uow: UnitOfWork,
        user_id: str,
        room_id: str,
        *,
        after: int | None,
        before: int | None,
        limit: int,
    ) -> MessagePage:
        if after is not None and before is not None:
            raise ValidationFailed(
                "Give either after (catch up) or before (history), not both.",
                details=[{"field": "after", "message": "with before"}],
            )
        repo = ChatRepository(uow)
        member = await readable_member(repo, room_id, user_id)
        rows, more = await MessagesRepository(uow).page(
            room_id, self._clock.now(), after=after, before=before, limit=limit
        )
        received = max((r.seq for r in rows if r.sender_id != user_id), default=0)
        if received > member.delivered_seq:
            # Fetched is received: the sender sees it delivered.
            await self._mark(uow, repo, member, "delivered", received)
        return MessagePage(messages=[as_message(r) for r in rows], has_more=more)

    # --- receipts and typing ----------------------------------------------------------------
    async def mark(self, uow: UnitOfWork, user_id: str, room_id: str, kind: str, seq: int) -> None:
        """``delivered`` or ``read`` up to ``seq``; the peer hears of it (read: only if both
        share read receipts)."""
        repo = ChatRepository(uow)
        member = await readable_member(repo, room_id, user_id)
        room = await repo.room(room_id)
        assert room is not None
        if seq > room.last_seq:
            raise ValidationFailed(
                f"There is no message {seq} in this chat yet.",
                details=[{"field": "seq", "message": f"at most {room.last_seq}"}],
            )
        await self._mark(uow, repo, member, kind, seq)

    async def _mark(
        self, uow: UnitOfWork, repo: ChatRepository, member: MemberRow, kind: str, seq: int
    ) -> None:
        if not await repo.advance(member.room_id, member.user_id, f"{kind}_seq", seq):
            return  # not news: an older or repeated receipt
        if kind == "read":
            privacy = await repo.privacy([member.user_id, member.peer_id])
            if not all(p.read_receipts for p in privacy.values()):
                return
        frame = {"roomId": member.room_id, "userId": member.user_id, "kind": kind, "seq": seq}
        await uow.publish(
            RealtimePushed(user_ids=[member.peer_id], frame_type="receipt", data=frame)
        )

    async def typing(self, uow: UnitOfWork, user_id: str, room_id: str, typing: bool) -> None:
        """Relayed to the peer at once and stored nowhere; dropped if either of them keeps
        typing to themselves."""
        repo = ChatRepository(uow)
        member = await readable_member(repo, room_id, user_id)
        room = await repo.room(room_id)
        if room is None or room.status != "open":
            raise Conflict("This chat is closed: the match ended.")
        privacy = await repo.privacy([user_id, member.peer_id])
        if not all(p.typing for p in privacy.values()):
            return
        frame = {"roomId": room_id, "userId": user_id, "typing": typing}
        push = RealtimePushed(user_ids=[member.peer_id], frame_type="typing", data=frame)
        await publish_now(self._bus, push, self._clock.now())

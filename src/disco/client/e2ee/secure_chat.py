"""End-to-end encrypted chat for an SDK client: ``SecureChat`` keeps this device's keys and
sessions in a ``KeyStore``, publishes its public keys, encrypts each message for every device
of the peer and of its own person, and decrypts what arrives.

    chat = SecureChat(client, "phone", JsonFileKeyStore("~/.disco/phone-keys.json"))
    await chat.setup()                          # keys made once, published, topped up
    sent = await chat.send(room_id, "hello")    # one envelope for every device
    async with client.socket() as ws:
        async for message in chat.incoming(ws):  # decrypted, checked, reportable
            print(message.sender_id, message.text)
    await chat.send_attachment(room_id, photo, name="oak.jpg", mime_type="image/jpeg")

The server sees the envelope (base64), the franking tag and which device sent it; never a
key it could decrypt with. ``DiscoClient.send_message`` still sends bodies as they are, for
clients not yet encrypting.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import httpx

from disco.client.e2ee.attachments import (
    AttachmentRef,
    check_description,
    open_attachment,
    seal_attachment,
)
from disco.client.e2ee.device import Device, Recipient
from disco.client.e2ee.directory import KeyChange, KeyDirectory
from disco.client.e2ee.errors import (
    E2eeError,
    FrankingMismatch,
    MessageTooLarge,
    NoDevices,
    NotForThisDevice,
)
from disco.client.e2ee.fingerprint import SafetyNumber, safety_number
from disco.client.e2ee.local import ONE_TIME_PREKEY_TARGET, LocalDevice
from disco.client.e2ee.messages import DecryptedMessage, Undecryptable, report_body
from disco.client.e2ee.primitives import Random, b64, system_random, unb64
from disco.client.e2ee.store import KeyStore
from disco.client.e2ee.wire import CONTENT_BYTES, CONTENT_TEXT, Envelope
from disco.client.sdk import ApiError

if TYPE_CHECKING:
    from disco.client.sdk import DiscoClient, Socket

__all__ = ["MAX_ENVELOPE_BYTES", "SecureChat"]

MAX_ENVELOPE_BYTES = 64 * 1024  # what the server accepts, decoded
RECENT_MESSAGES = 1000  # decrypted messages remembered, so a frame and a catch-up agree


class SecureChat:
    def __init__(
        self,
        client: DiscoClient,
        device_id: str,
        store: KeyStore,
        *,
        random: Random = system_random,
        clock: Callable[[], float] = time.time,
        one_time_prekeys: int = ONE_TIME_PREKEY_TARGET,
    ) -> None:
        self._client = client
        self.device_id = device_id
        self._store = store
        self._random = random
        self._clock = clock
        self._one_time_target = one_time_prekeys
        self._local: LocalDevice | None = None
        self._peers: dict[str, str] = {}  # room id -> the other member's user id
        # Read and sent messages by id: a message seen twice (its frame, then a catch-up) is
        # answered from here, since its key is gone. In memory only: plaintext is the app's.
        self._recent: OrderedDict[str, DecryptedMessage] = OrderedDict()

    # --- keys -----------------------------------------------------------------------------------
    async def setup(self) -> None:
        """Load this device's keys (or make them), and publish and top them up."""
        await self.load()
        await self.maintain()

    async def load(self) -> None:
        """Load this device's keys and sessions (or make new keys), without publishing."""
        if self._client.user is None:
            self._client.user = await self._client.get("/v1/auth/me")
        self._local = LocalDevice.load(
            self._client,
            self.user_id,
            self.device_id,
            self._store,
            random=self._random,
            clock=self._clock,
        )

    @property
    def user_id(self) -> str:
        if self._client.user is None:
            raise E2eeError("sign in first")
        return str(self._client.user["id"])

    @property
    def identity_key(self) -> bytes:
        return self._device.keys.identity.public

    @property
    def key_changes(self) -> list[KeyChange]:
        """Devices added, changed or removed since start-up, as frames and fetches told."""
        return self._directory.changes

    async def maintain(self) -> int:
        """Publish this device's keys if the directory lacks them, rotate the signed prekey
        once it is a week old, and top one-time prekeys up when the directory says they are
        low. The number the directory holds now. Call it at start-up and now and then."""
        async with self._state.lock:
            return await self._state.maintain(self._one_time_target)

    async def rotate_signed_prekey(self) -> None:
        """A new signed prekey now (the older ones stay for sessions started from them)."""
        async with self._state.lock:
            await self._state.rotate_signed_prekey()

    # --- sending --------------------------------------------------------------------------------
    async def send(
        self, room_id: str, content: str | bytes, *, client_message_id: str | None = None
    ) -> DecryptedMessage:
        """Encrypt ``content`` for every device of the room's peer and this person's other
        devices, and send it as one envelope. The message as sent, as ``decrypt`` would give
        it (a text is sent as text, bytes as bytes)."""
        if isinstance(content, str):
            return await self._send(room_id, CONTENT_TEXT, content.encode(), client_message_id)
        return await self._send(room_id, CONTENT_BYTES, content, client_message_id)

    send_text = send

    async def send_attachment(
        self,
        room_id: str,
        data: bytes,
        *,
        name: str = "attachment",
        mime_type: str = "application/octet-stream",
        client_message_id: str | None = None,
    ) -> DecryptedMessage:
        """Encrypt ``data`` under a key of its own, upload it, and send a message holding
        that key (``docs/e2ee.md`` §6.1). The server sees neither the file, its name nor its
        type."""
        check_description(name, mime_type)
        key, iv, upload = seal_attachment(data, self._random)
        media = await self._client.upload_media(room_id, upload)
        ref = AttachmentRef(str(media["id"]), key, iv, name, mime_type, len(data))
        return await self._send(
            room_id, CONTENT_BYTES, ref.encode(), client_message_id, media_ids=[ref.media_id]
        )

    async def download(self, message: DecryptedMessage) -> bytes:
        """The file an attachment message sends, decrypted and authenticated."""
        ref = message.attachment
        if ref is None:
            raise E2eeError(f"message {message.id} holds no attachment")
        upload = await self._client.download_media(message.room_id, ref.media_id)
        return open_attachment(ref, upload)

    async def _send(
        self,
        room_id: str,
        content_type: int,
        body: bytes,
        client_message_id: str | None,
        *,
        media_ids: list[str] | None = None,
    ) -> DecryptedMessage:
        async with self._state.lock:
            peer_id = await self._peer_of(room_id)
            recipients = await _recipients(
                self._directory, self._device, (self.user_id, self.device_id), peer_id
            )
            sealed = self._device.seal(room_id, content_type, body, recipients)
            if len(sealed.envelope) > MAX_ENVELOPE_BYTES:
                raise MessageTooLarge(
                    f"{len(sealed.envelope)} bytes encrypted for {len(recipients)} devices;"
                    f" the server takes {MAX_ENVELOPE_BYTES}"
                )
            sealed.commit()
            self._state.save()  # before it leaves: a message key is never used twice
            sent = await self._client.send_message(
                room_id,
                sealed.envelope,
                client_message_id=client_message_id or self._random(16).hex(),
                media_ids=media_ids,
                sender_device_id=self.device_id,
                franking_tag=b64(sealed.franking_tag),
            )
        message = DecryptedMessage.of(
            sent, self.device_id, content_type, body, sealed.payload.franking_key
        )
        self._remember(message)
        return message

    async def _peer_of(self, room_id: str) -> str:
        if room_id not in self._peers:
            room = await self._client.get(f"/v1/chats/rooms/{room_id}")
            self._peers[room_id] = str(room["peer"]["userId"])
        return self._peers[room_id]

    # --- receiving ------------------------------------------------------------------------------
    async def decrypt(self, message: dict[str, Any]) -> DecryptedMessage:
        """A ``message`` frame (or its ``data``, or an item of the history), decrypted and
        checked: from the device and person the server names, sent to this room, and opening
        its franking tag. ``E2eeError`` (never garbage) if it is not all of that."""
        data = message["data"] if message.get("type") == "message" else message
        if (known := self._recent.get(str(data["id"]))) is not None:
            return known
        envelope = Envelope.decode(unb64(data["ciphertext"]))
        sender_id = str(data["senderId"])
        if sender_id == self.user_id and envelope.sender_device_id == self.device_id:
            raise NotForThisDevice("sent from this device, which keeps no copy of its own")
        if not data.get("frankingTag"):
            raise FrankingMismatch("the message carries no franking tag: it could not be proven")
        franking_tag = unb64(data["frankingTag"], 32)
        part = envelope.part_for(self.user_id, self.device_id)
        async with self._state.lock:
            if (known := self._recent.get(str(data["id"]))) is not None:
                return known  # decrypted while this call waited (its frame and a catch-up)
            identity = None
            if part is not None and part.preamble is not None:
                identity = await self._directory.identity_of(
                    sender_id, envelope.sender_device_id, part.preamble.identity_key
                )
            opened = self._device.open(
                sender_id, str(data["roomId"]), envelope, franking_tag, identity
            )
            opened.commit()
            self._state.save()
            payload = opened.payload
            # The sending device named by the envelope, which the session authenticates (the
            # server's senderDeviceId is only a hint).
            decrypted = DecryptedMessage.of(
                data,
                opened.sender_device_id,
                payload.content_type,
                payload.body,
                payload.franking_key,
            )
            self._remember(decrypted)
        if opened.started_session:
            # A one-time prekey may have been used: top up if low. Best effort: the message
            # is decrypted and its key gone, so a failed upload must not lose it (the next
            # maintain() catches up).
            with contextlib.suppress(ApiError, httpx.HTTPError):
                await self.maintain()
        return decrypted

    async def handle(self, frame: dict[str, Any]) -> DecryptedMessage | None:
        """A WebSocket frame: a ``message`` is decrypted, a ``key_changed`` noted (the
        person's keys are fetched again before the next message to them; a removed device's
        sessions end). Other frames: None."""
        kind, data = frame.get("type"), frame.get("data") or {}
        if kind == "message":
            return await self.decrypt(frame)
        if kind == "key_changed":
            change = KeyChange(str(data["userId"]), str(data["deviceId"]), data["change"])
            async with self._state.lock:
                self._directory.noted(change)
                if change.change == "removed":
                    self._device.sessions.forget((change.user_id, change.device_id))
                self._state.save()
        return None

    async def incoming(self, socket: Socket) -> AsyncIterator[DecryptedMessage | Undecryptable]:
        """Every message arriving on ``socket``, decrypted (or marked undecryptable), with
        ``key_changed`` frames handled on the way; ends when the socket closes."""
        while (frame := await _next_frame(socket)) is not None:
            try:
                message = await self.handle(frame)
            except E2eeError as error:
                data = frame["data"]
                yield Undecryptable(str(data["id"]), int(data["seq"]), data["senderId"], error)
                continue
            if message is not None:
                yield message

    async def history(
        self, room_id: str, *, after: int = 0
    ) -> AsyncIterator[DecryptedMessage | Undecryptable]:
        """Every live message of the room after ``after``, oldest first, decrypted."""
        async for item in self._client.iter_messages(room_id, after=after):
            try:
                yield await self.decrypt(item)
            except E2eeError as error:
                yield Undecryptable(str(item["id"]), int(item["seq"]), item["senderId"], error)

    # --- verifying and reporting ----------------------------------------------------------------
    async def safety_number(self, peer_id: str) -> SafetyNumber:
        """The number both people see, over all their devices' identity keys as the directory
        lists them (fetched again after a ``key_changed`` frame: a fetch of a peer's keys
        spends their one-time prekeys, so it is not done on every look)."""
        mine = await self._directory.devices(self.user_id)
        theirs = await self._directory.devices(peer_id)
        return safety_number(
            self.user_id,
            [b.identity_key for b in mine.values()],
            peer_id,
            [b.identity_key for b in theirs.values()],
        )

    async def report(
        self,
        user_id: str,
        reason: str,
        messages: list[DecryptedMessage],
        details: str | None = None,
    ) -> dict[str, Any]:
        """Report ``user_id`` with ``messages`` they sent as proof moderators can verify."""
        answer: dict[str, Any] = await self._client.post(
            "/v1/safety/reports", report_body(user_id, reason, messages, details)
        )
        return answer

    # --- state ----------------------------------------------------------------------------------
    @property
    def _state(self) -> LocalDevice:
        if self._local is None:
            raise E2eeError("call setup() first")
        return self._local

    @property
    def _device(self) -> Device:
        return self._state.device

    @property
    def _directory(self) -> KeyDirectory:
        return self._state.directory

    def _remember(self, message: DecryptedMessage) -> None:
        self._recent[message.id] = message
        while len(self._recent) > RECENT_MESSAGES:
            self._recent.popitem(last=False)


async def _recipients(
    directory: KeyDirectory, device: Device, me: tuple[str, str], peer_id: str
) -> list[Recipient]:
    """Every device of the peer and this person's other devices, with a bundle to start a
    session from where the device has none yet."""
    user_id, device_id = me
    theirs = await directory.devices(peer_id)
    if not theirs:
        raise NoDevices("the peer has not set up encrypted chat on any device yet")
    mine = {d: b for d, b in (await directory.devices(user_id)).items() if d != device_id}
    recipients = []
    for owner, devices in ((peer_id, theirs), (user_id, mine)):
        for their_device, bundle in devices.items():
            address = (owner, their_device)
            session = device.sessions.current(address)
            # No session yet, or one with an identity the device no longer has (a
            # reinstall): start one from the bundle. The old one stays for late messages.
            fresh = session is None or session.peer_identity != bundle.identity_key
            recipients.append(
                Recipient(
                    owner,
                    their_device,
                    directory.take_bundle(owner, their_device) if fresh else None,
                )
            )
    return recipients


async def _next_frame(socket: Socket) -> dict[str, Any] | None:
    """The socket's next frame, or None once it is closed and every frame was read."""
    if not socket.frames.empty():
        return socket.frames.get_nowait()
    frame = asyncio.ensure_future(socket.frames.get())
    closed = asyncio.ensure_future(socket.closed.wait())
    try:
        await asyncio.wait({frame, closed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        closed.cancel()
        if not frame.done():
            frame.cancel()
    if frame.done() and not frame.cancelled():
        return frame.result()
    return None if socket.frames.empty() else socket.frames.get_nowait()

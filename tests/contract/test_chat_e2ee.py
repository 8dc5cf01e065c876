"""End-to-end encrypted chat through the running server, with the SDK's ``SecureChat`` as the
apps use it: what each person reads, what the server (and anyone with its database) holds,
what a thief of a device's state can and cannot read, several devices per person, franking
reports, key changes and prekey upkeep."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from disco.client import ApiError, DiscoClient
from disco.client.e2ee import (
    AttachmentMismatch,
    DecryptedMessage,
    DecryptionFailed,
    FrankingMismatch,
    JsonFileKeyStore,
    KeyChange,
    MemoryKeyStore,
    NotForThisDevice,
    SecureChat,
    report_body,
)
from disco.client.e2ee.wire import Envelope
from tests.conftest import PASSWORD
from tests.support.backends import Running
from tests.support.chat import chatting
from tests.support.e2ee import base64_fragments
from tests.support.safety import moderator, uid
from tests.support.users import files_naming, person, rows_naming


async def secure(client: DiscoClient, device_id: str = "phone", **options: Any) -> SecureChat:
    chat = SecureChat(client, device_id, options.pop("store", MemoryKeyStore()), **options)
    await chat.setup()
    return chat


@contextlib.asynccontextmanager
async def ada_and_bob_matched(
    disco: Running,
) -> AsyncIterator[tuple[DiscoClient, DiscoClient, str]]:
    """Ada and Bob, signed in and matched, and the id of their chat."""
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        yield ada, bob, room


async def another_device(disco: Running, client: DiscoClient) -> DiscoClient:
    """The same person signed in on a second device."""
    assert client.user is not None
    device = DiscoClient(disco.url)
    await device.login(client.user["email"], PASSWORD)
    return device


async def history(client: DiscoClient, room: str) -> list[dict[str, Any]]:
    return [m async for m in client.iter_messages(room)]


async def read(chat: SecureChat, client: DiscoClient, room: str, seq: int) -> DecryptedMessage:
    """Message ``seq`` of the room, as the reader's device decrypts it from the history."""
    (item,) = [m for m in await history(client, room) if m["seq"] == seq]
    return await chat.decrypt(item)


async def next_message(chat: SecureChat, ws: Any) -> DecryptedMessage:
    stream = chat.incoming(ws)
    try:
        item = await asyncio.wait_for(anext(stream), 10)
    finally:
        await stream.aclose()
    assert isinstance(item, DecryptedMessage), item
    return item


def secret(label: str) -> str:
    """A plaintext nobody else writes, long enough to be found wherever it leaked."""
    return f"{label}: meet me by the old oak tree {uuid.uuid4().hex}"


async def test_two_people_chat_encrypted_and_the_server_holds_no_plaintext(
    disco: Running,
) -> None:
    async with ada_and_bob_matched(disco) as (ada, bob, room):
        ada_chat, bob_chat = await secure(ada), await secure(bob)
        texts = [secret("first"), secret("reply"), secret("third")]
        async with bob.socket() as bob_ws:
            sent = await ada_chat.send(room, texts[0])
            got = await next_message(bob_chat, bob_ws)
        assert (got.id, got.text, got.sender_id, got.sender_device_id) == (
            sent.id,
            texts[0],
            uid(ada),
            "phone",
        )
        await bob_chat.send(room, texts[1])
        await ada_chat.send(room, texts[2])
        await ada_chat.send(room, b"\x00\x01 a photo's bytes")
        read_by_ada = [m async for m in ada_chat.history(room)]
        assert [getattr(m, "text", None) for m in read_by_ada[:3]] == texts
        read_by_bob = [m async for m in bob_chat.history(room)]
        assert isinstance(read_by_bob[3], DecryptedMessage)
        assert read_by_bob[3].body == b"\x00\x01 a photo's bytes"
        assert [getattr(m, "text", None) for m in read_by_bob[:3]] == texts

        # The server's view: one opaque envelope per message, with parts for the devices.
        for stored in await history(bob, room):
            envelope = Envelope.decode(base64.b64decode(stored["ciphertext"]))
            assert [p.device_id for p in envelope.parts] == ["phone"]
            assert stored["frankingTag"] and stored["serverTag"]
        needles = [n for text in texts for n in (text, *base64_fragments(text))]
        assert await rows_naming(disco.system.settings, needles) == []
        assert files_naming(disco.system.settings.data_dir, texts) == []


async def test_late_and_lost_messages_open_and_a_restarted_device_carries_on(
    disco: Running, tmp_path: Path
) -> None:
    async with ada_and_bob_matched(disco) as (ada, bob, room):
        bob_store = JsonFileKeyStore(tmp_path / "bob-phone.json")
        ada_chat, bob_chat = await secure(ada), await secure(bob, store=bob_store)
        sent = [await ada_chat.send(room, f"message {n}") for n in range(5)]
        items = {m["seq"]: m for m in await history(bob, room)}
        for n in (4, 2, 0):  # late ones first; 1 and 3 not yet
            assert (await bob_chat.decrypt(items[sent[n].seq])).text == f"message {n}"
        # The frame and the catch-up of one message are one message.
        again = await bob_chat.decrypt(items[sent[4].seq])
        assert again.text == "message 4" and again.id == sent[4].id

        reply = await bob_chat.send(room, "got some of them")
        assert (await read(ada_chat, ada, room, reply.seq)).text == "got some of them"
        later = await ada_chat.send(room, "after your reply")

        restarted = SecureChat(bob, "phone", JsonFileKeyStore(tmp_path / "bob-phone.json"))
        await restarted.setup()
        assert (await read(restarted, bob, room, later.seq)).text == "after your reply"
        assert (await restarted.decrypt(items[sent[3].seq])).text == "message 3"  # very late
        # Message 1 stays lost; message 0 was read before the restart: its key is gone.
        with pytest.raises(DecryptionFailed):
            await restarted.decrypt(items[sent[0].seq])


async def test_a_thief_of_a_devices_state_reads_nothing_earlier_nor_after_it_heals(
    disco: Running,
) -> None:
    async with ada_and_bob_matched(disco) as (ada, bob, room):
        bob_store = MemoryKeyStore()
        ada_chat, bob_chat = await secure(ada), await secure(bob, store=bob_store)

        async def ada_says(text: str) -> dict[str, Any]:
            sent = await ada_chat.send(room, text)
            (item,) = [m for m in await history(bob, room) if m["seq"] == sent.seq]
            return item

        async def bob_says(text: str) -> None:
            sent = await bob_chat.send(room, text)
            assert (await read(ada_chat, ada, room, sent.seq)).text == text

        recorded = []
        for n in range(3):
            recorded.append(await ada_says(f"before the theft {n}"))
            assert (await bob_chat.decrypt(recorded[-1])).text == f"before the theft {n}"
            await bob_says(f"bob before the theft {n}")

        stolen = MemoryKeyStore()
        document = bob_store.load()
        assert document is not None
        stolen.save(document)  # every key Bob's phone holds, copied
        thief = SecureChat(bob, "phone", stolen)
        await thief.load()  # a thief who only listens: it publishes nothing

        # Forward secrecy: what was recorded before the theft stays closed.
        for item in recorded:
            with pytest.raises(DecryptionFailed):
                await thief.decrypt(item)

        # The theft is real: Ada's next message, on a ratchet key Bob held, is readable...
        exposed = await ada_says("right after the theft")
        assert (await thief.decrypt(exposed)).text == "right after the theft"
        # ...until Bob's next DH ratchet step: reading it, his phone made a fresh ratchet key
        # (the thief made one of its own), and his reply carries it to Ada.
        assert (await bob_chat.decrypt(exposed)).text == "right after the theft"
        await bob_says("reply on a fresh key")
        for n in range(2):
            healed = await ada_says(f"after the healing {n}")
            with pytest.raises(DecryptionFailed):
                await thief.decrypt(healed)
            assert (await bob_chat.decrypt(healed)).text == f"after the healing {n}"


async def test_a_person_with_two_devices_reads_on_both_and_each_reads_the_other(
    disco: Running,
) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        ada_laptop_client = await another_device(disco, ada)
        async with ada_laptop_client:
            _, room = await chatting(disco.system, ada, bob)
            phone, laptop = await secure(ada, "phone"), await secure(ada_laptop_client, "laptop")
            bob_chat = await secure(bob)

            from_bob = await bob_chat.send(room, "to both of Ada's devices")
            for device, client in ((phone, ada), (laptop, ada_laptop_client)):
                assert (await read(device, client, room, from_bob.seq)).text == (
                    "to both of Ada's devices"
                )
            for sender, other, other_client in (
                (phone, laptop, ada_laptop_client),
                (laptop, phone, ada),
            ):
                text = f"from Ada's {sender.device_id}"
                sent = await sender.send(room, text)
                assert (await read(bob_chat, bob, room, sent.seq)).text == text
                mine = await read(other, other_client, room, sent.seq)
                assert (mine.text, mine.sender_device_id) == (text, sender.device_id)

            # A third device: Bob hears of it and his next message reaches it too.
            tablet_client = await another_device(disco, ada)
            async with tablet_client, bob.socket() as bob_ws:
                tablet = await secure(tablet_client, "tablet")
                while True:
                    frame = await bob_ws.expect("key_changed")
                    await bob_chat.handle(frame)
                    if frame["data"]["deviceId"] == "tablet":
                        break
                with pytest.raises(NotForThisDevice):  # sent before the tablet had keys
                    await read(tablet, tablet_client, room, from_bob.seq)
                news = await bob_chat.send(room, "welcome, tablet")
                assert (await read(tablet, tablet_client, room, news.seq)).text == "welcome, tablet"
                assert (await read(phone, ada, room, news.seq)).text == "welcome, tablet"


async def test_a_report_proves_what_was_sent_and_a_forged_one_fails(disco: Running) -> None:
    async with ada_and_bob_matched(disco) as (ada, bob, room):
        ada_chat, bob_chat = await secure(ada), await secure(bob)
        sent = await ada_chat.send(room, "you will regret this")
        (stored,) = await history(bob, room)
        # The same envelope again with a tag that is not its commitment: Bob's device refuses
        # it (it could never be proven) and keeps its sessions as they were.
        mistagged = await ada.post(
            f"/v1/chats/rooms/{room}/messages",
            {
                "ciphertext": stored["ciphertext"],
                "frankingTag": base64.b64encode(os.urandom(32)).decode(),
            },
        )
        with pytest.raises(FrankingMismatch):
            await bob_chat.decrypt(mistagged)
        message = await bob_chat.decrypt(stored)
        assert message.text == "you will regret this" and message.id == sent.id

        honest = report_body(uid(ada), "threat", [message])
        opening = honest["messages"][0]
        for forged in (
            {**opening, "plaintext": base64.b64encode(b"you will love this").decode()},
            {**opening, "frankingKey": base64.b64encode(os.urandom(32)).decode()},
            {**opening, "serverTag": base64.b64encode(os.urandom(32)).decode()},
            # Malformed openings: a clear 422 naming the field, never a 500.
            {**opening, "frankingKey": "0"},
            {**opening, "frankingKey": base64.b64encode(os.urandom(31)).decode()},
            {**opening, "frankingTag": "A=A="},
            {**opening, "plaintext": "not base64!"},
        ):
            response = await bob.request(
                "POST", "/v1/safety/reports", json={**honest, "messages": [forged]}
            )
            assert response.status_code == 422, forged
        assert (await bob.get("/v1/safety/reports"))["reports"] == []  # nothing was filed
        with pytest.raises(ValueError):  # Bob's own messages are not Ada's to answer for
            report_body(uid(ada), "threat", [await bob_chat.send(room, "stop")])

        report = await bob_chat.report(uid(ada), "threat", [message], details="after we met")
        mod = await moderator(disco.system, disco.url)
        async with mod:
            (seen,) = [
                r
                for r in (await mod.get("/v1/safety/moderation/reports"))["reports"]
                if r["id"] == report["id"]
            ]
        (evidence,) = seen["messages"]
        assert evidence["verified"] is True and evidence["text"] == "you will regret this"


async def test_a_changed_identity_key_changes_the_safety_number_and_chat_goes_on(
    disco: Running,
) -> None:
    async with ada_and_bob_matched(disco) as (ada, bob, room):
        ada_chat, bob_chat = await secure(ada), await secure(bob)
        first = await ada_chat.send(room, "hello")
        assert (await read(bob_chat, bob, room, first.seq)).text == "hello"
        number = await bob_chat.safety_number(uid(ada))
        assert number == await ada_chat.safety_number(uid(bob))  # both see the same
        assert number == await bob_chat.safety_number(uid(ada))  # and it stays
        assert len(number.groups) == 12 and number.matches(number.qr_payload)

        async with bob.socket() as bob_ws:
            # Ada reinstalls: the same device id, a new identity key.
            reinstalled = await secure(ada)
            while True:
                frame = await bob_ws.expect("key_changed")
                await bob_chat.handle(frame)
                if frame["data"]["change"] == "changed":
                    break
        assert KeyChange(uid(ada), "phone", "changed") in bob_chat.key_changes
        changed = await bob_chat.safety_number(uid(ada))
        assert changed != number and not changed.matches(number.qr_payload)
        assert changed == await reinstalled.safety_number(uid(bob))

        # New sessions with the new identity, both ways; the old messages stay unreadable to it.
        to_new = await bob_chat.send(room, "is this your new phone?")
        assert (await read(reinstalled, ada, room, to_new.seq)).text == "is this your new phone?"
        back = await reinstalled.send(room, "it is")
        assert (await read(bob_chat, bob, room, back.seq)).text == "it is"


async def test_one_time_prekeys_are_topped_up_and_the_signed_prekey_rotates(
    disco: Running,
) -> None:
    now = [1_000_000.0]
    async with ada_and_bob_matched(disco) as (ada, bob, room):
        bob_chat = await secure(bob, one_time_prekeys=12, clock=lambda: now[0])

        async def bobs_listing() -> dict[str, Any]:
            (device,) = (await bob.get("/v1/keys"))["devices"]
            return dict(device)

        assert (await bobs_listing())["oneTimePreKeysLeft"] == 12
        for _ in range(3):  # each fetch by a peer takes one
            await ada.get(f"/v1/keys/{uid(bob)}")
        assert (await bobs_listing())["low"] is True
        assert await bob_chat.maintain() == 12
        assert (await bobs_listing())["oneTimePreKeysLeft"] == 12

        ada_chat = await secure(ada)
        await ada_chat.safety_number(uid(bob))  # Ada's app has Bob's keys now (cached)
        await bob_chat.rotate_signed_prekey()
        assert (await bobs_listing())["signedPreKeyId"] == 2
        # Ada starts her session from the signed prekey Bob has since replaced: it still works.
        sent = await ada_chat.send(room, "from the bundle I fetched earlier")
        assert (await read(bob_chat, bob, room, sent.seq)).text == (
            "from the bundle I fetched earlier"
        )

        now[0] += 8 * 24 * 3600  # a week on: maintenance rotates by itself
        await bob_chat.maintain()
        assert (await bobs_listing())["signedPreKeyId"] == 3
        laptop_client = await another_device(disco, ada)
        async with laptop_client:
            laptop = await secure(laptop_client, "laptop")
            fresh = await laptop.send(room, "from a session on the newest signed prekey")
            assert (await read(bob_chat, bob, room, fresh.seq)).text == (
                "from a session on the newest signed prekey"
            )


async def test_an_attachment_is_stored_encrypted_and_a_swapped_upload_is_caught(
    disco: Running,
) -> None:
    async with ada_and_bob_matched(disco) as (ada, bob, room):
        ada_chat, bob_chat = await secure(ada), await secure(bob)
        photo = secret("the photo").encode() * 40  # 2.8 KB, found wherever it leaked
        async with bob.socket() as bob_ws:
            sent = await ada_chat.send_attachment(
                room, photo, name="oak.jpg", mime_type="image/jpeg"
            )
            got = await next_message(bob_chat, bob_ws)
        assert got.attachment is not None and got.id == sent.id
        assert (got.attachment.name, got.attachment.mime_type) == ("oak.jpg", "image/jpeg")
        assert await bob_chat.download(got) == photo
        shown = f"(an attachment: oak.jpg, image/jpeg, {len(photo)} bytes)"
        assert got.opening()["text"] == shown

        # The server holds the upload as bytes it cannot read, under a type that says nothing.
        stored = await bob.request("GET", f"/v1/chats/rooms/{room}/media/{got.attachment.media_id}")
        assert stored.headers["content-type"] == "application/octet-stream"
        assert len(stored.content) > len(photo) and photo[:64] not in stored.content
        needles = [photo[:64].decode(), *base64_fragments(photo[:64].decode())]
        assert await rows_naming(disco.system.settings, needles) == []
        assert files_naming(disco.system.settings.data_dir, [photo[:64].decode()]) == []

        # A server that hands out other bytes under the message's media id (here, those of
        # another attachment of the room) is caught before anything is decrypted.
        other = await ada_chat.send_attachment(room, b"another file")
        assert other.attachment is not None
        swapped = replace(
            got, body=replace(got.attachment, media_id=other.attachment.media_id).encode()
        )
        with pytest.raises(AttachmentMismatch):
            await bob_chat.download(swapped)
        # A stranger to the room gets nothing.
        eve = await person(disco.url, "Eve")
        async with eve:
            with pytest.raises(ApiError) as refused:
                await eve.download_media(room, got.attachment.media_id)
        assert refused.value.status == 404

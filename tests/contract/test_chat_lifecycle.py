"""A chat's life: attachments for members only, blocks and deletions that close it, and
disappearing messages removed from storage (counted) by the expiry job, with an injected clock.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from disco.chat.service import ChatService
from disco.client import DiscoClient
from disco.platform.clock import FrozenClock
from disco.platform.db import Database
from tests.support.backends import Running, backend_settings, serve
from tests.support.chat import chatting, ciphertext
from tests.support.poll import eventually
from tests.support.users import person


async def upload(client: DiscoClient, room: str, data: bytes) -> httpx.Response:
    return await client.request(
        "POST",
        f"/v1/chats/rooms/{room}/media",
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )


async def test_attachments_are_streamed_to_members_only_and_sized(disco: Running) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    eve = await person(disco.url, "Eve")
    async with ada, bob, eve:
        _, room = await chatting(disco.system, ada, bob)
        data = os.urandom(300_000)
        uploaded = await upload(ada, room, data)
        assert uploaded.status_code == 201, uploaded.text
        media = uploaded.json()
        assert media["size"] == len(data)
        path = f"/v1/chats/rooms/{room}/media/{media['id']}"
        assert (await bob.request("GET", path)).status_code == 404  # not sent yet
        await ada.post(
            f"/v1/chats/rooms/{room}/messages",
            {"ciphertext": ciphertext(), "mediaIds": [media["id"]]},
        )
        got = await bob.request("GET", path)
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-type"] == "application/octet-stream"
        assert (await eve.request("GET", path)).status_code == 404
        assert (await upload(eve, room, b"x")).status_code == 404
        # Sent once; a second message may not take it again.
        again = await ada.request(
            "POST",
            f"/v1/chats/rooms/{room}/messages",
            json={"ciphertext": ciphertext(), "mediaIds": [media["id"]]},
        )
        assert again.status_code == 422
        store = disco.system.settings.data_dir / "chat-media"
        before = set(store.iterdir())
        too_big = await upload(ada, room, b"\0" * (disco.system.settings.chat_max_media_bytes + 1))
        assert too_big.status_code == 413
        assert too_big.json()["error"]["code"] == "VALIDATION_ERROR"
        assert set(store.iterdir()) == before  # nothing kept, not even a part


async def test_a_block_closes_the_chat_and_takes_it_from_the_blocked_person(
    disco: Running,
) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        await bob.post(f"/v1/chats/rooms/{room}/messages", {"ciphertext": ciphertext()})
        assert bob.user is not None
        await ada.post("/v1/users/me/blocks", {"userId": bob.user["id"]})

        async def gone_for_bob() -> bool:
            response = await bob.request("GET", f"/v1/chats/rooms/{room}/messages")
            return response.status_code == 404

        await eventually(gone_for_bob, what="Bob to lose the chat")
        assert all(r["id"] != room for r in (await bob.get("/v1/chats/rooms"))["rooms"])
        kept = await ada.get(f"/v1/chats/rooms/{room}")
        assert kept["status"] == "closed" and kept["closedReason"] == "blocked"
        assert len((await ada.get(f"/v1/chats/rooms/{room}/messages"))["messages"]) == 1


async def test_a_deleted_account_takes_its_messages_and_closes_its_chats(disco: Running) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        path = f"/v1/chats/rooms/{room}/messages"
        await ada.post(path, {"ciphertext": ciphertext()})
        await bob.post(path, {"ciphertext": ciphertext()})
        export = await ada.get("/v1/users/me/export")
        (exported,) = export["services"]["chat"]["rooms"]
        assert exported["id"] == room and exported["messagesYouSentStillStored"] == 1
        assert "ciphertext" not in str(export["services"]["chat"])
        await ada.delete("/v1/users/me")

        async def closed() -> bool:
            return (await bob.get(f"/v1/chats/rooms/{room}"))["closedReason"] == "deleted"

        await eventually(closed, what="the chat to close")
        assert bob.user is not None
        left = (await bob.get(path))["messages"]
        assert [m["senderId"] for m in left] == [bob.user["id"]]


async def _count(running: Running, sql: str) -> int:
    async with running.system.apps["chat"].state.db.engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def _partitions(running: Running) -> int:
    return await _count(
        running,
        "select count(*) from pg_inherits i join pg_class p on p.oid = i.inhparent"
        " where p.relname = 'chat_messages'",
    )


async def test_messages_and_media_are_removed_from_storage_when_they_expire(
    backend: str, tmp_path: Path
) -> None:
    clock = FrozenClock(datetime.now(UTC))
    async with backend_settings(backend, tmp_path) as settings:
        async with serve(settings, clock=clock) as running:
            expiry: Any = running.system.apps["chat"].state.expiry
            postgres = not running.system.settings.embedded
            ada, bob = await person(running.url, "Ada"), await person(running.url, "Bob")
            async with ada, bob:
                _, room = await chatting(running.system, ada, bob)
                path = f"/v1/chats/rooms/{room}/messages"
                sent = (await upload(ada, room, os.urandom(1000))).json()
                unsent = (await upload(ada, room, os.urandom(1000))).json()
                await ada.post(path, {"ciphertext": ciphertext(), "mediaIds": [sent["id"]]})
                await bob.post(path, {"ciphertext": ciphertext()})
                await ada.put(f"/v1/chats/rooms/{room}/timer", {"seconds": 600})
                await ada.post(path, {"ciphertext": ciphertext()})  # gone in ten minutes
                blobs = running.system.settings.data_dir / "chat-media"
                assert {p.name for p in blobs.iterdir()} == {sent["id"], unsent["id"]}
                before = await _partitions(running) if postgres else 0
                if postgres:  # every message went into its hour's partition
                    default = "select count(*) from chat_messages_default"
                    assert await _count(running, default) == 0
                    assert await _count(running, "select count(*) from chat_messages") == 3

                clock.advance(601)
                assert [m["seq"] for m in (await bob.get(path))["messages"]] == [1, 2]
                clock.advance(3600)  # the unsent attachment's hour is over too
                report = await expiry.run()
                assert report.media == 1
                assert {p.name for p in blobs.iterdir()} == {sent["id"]}
                if postgres:
                    assert report.partitions_dropped >= 1
                else:
                    assert report.messages == 1
                assert await _count(running, "select count(*) from chat_messages") == 2

                clock.advance(24 * 3600)
                report = await expiry.run()
                assert (await bob.get(path))["messages"] == []
                assert await _count(running, "select count(*) from chat_messages") == 0
                assert await _count(running, "select count(*) from chat_media") == 0
                assert await _count(running, "select count(*) from chat_client_ids") == 0
                assert list(blobs.iterdir()) == []
                assert report.media == 1
                if postgres:
                    assert report.partitions_dropped >= 2 and report.messages == 0
                    # Old hours went, new ones came: the table never lacks a partition ahead.
                    assert await _partitions(running) >= before - 1
                else:
                    assert report.messages == 2
                room_after = await bob.get(f"/v1/chats/rooms/{room}")
                assert room_after["unread"] == 0 and room_after["lastSeq"] == 3


async def test_a_new_room_names_its_peer_from_the_match_and_a_profile_event_wins(
    disco: Running,
) -> None:
    """A room opened before chat has heard of the pair's profiles names them from
    ``match.created``; a name from a profile event is newer and stays."""
    app = disco.system.apps["chat"]
    chat: ChatService = app.state.chat
    db: Database = app.state.db
    ada, bob = str(uuid.uuid4()), str(uuid.uuid4())  # no profile event about them, ever

    async def peer_names_seen_by_bob() -> list[str]:
        async with db.unit_of_work("test.rooms") as uow:
            return sorted(room.peer.name for room in (await chat.rooms(uow, bob)).rooms)

    async with db.unit_of_work("test.match_created") as uow:
        await chat.open_room(uow, str(uuid.uuid4()), [ada, bob], {ada: "Ada", bob: "Bob"})
    assert await peer_names_seen_by_bob() == ["Ada"]

    async with db.unit_of_work("test.profile_then_match") as uow:
        await chat.put_first_name(uow, ada, "Adelaide")
        await chat.open_room(uow, str(uuid.uuid4()), [ada, bob], {ada: "Ada", bob: "Bob"})
    assert await peer_names_seen_by_bob() == ["Adelaide", "Adelaide"]

"""Chat helpers: a matched pair with their room, and ciphertext-shaped bodies."""

from __future__ import annotations

import base64
import os
from typing import Any

from disco.client import DiscoClient
from disco.runtime import System
from tests.support.poll import eventually
from tests.support.safety import matched


def ciphertext(size: int = 48) -> str:
    """Random bytes in base64, as a client's encrypted envelope looks to the server."""
    return base64.b64encode(os.urandom(size)).decode()


async def room_of(client: DiscoClient, match_id: str) -> dict[str, Any]:
    """The client's room for ``match_id``, once the chat service has opened it (it does so
    when it hears of the match: another service's event, so it may take a moment)."""
    found: dict[str, Any] = {}

    async def opened() -> bool:
        for room in (await client.get("/v1/chats/rooms"))["rooms"]:
            if room["matchId"] == match_id:
                found.update(room)
                return True
        return False

    await eventually(opened, what="the chat room of the match")
    return found


async def chatting(system: System, a: DiscoClient, b: DiscoClient) -> tuple[str, str]:
    """Match ``a`` and ``b``; the match id and their room id once both can see the room."""
    match_id = await matched(system, a, b)
    room = await room_of(a, match_id)
    await room_of(b, match_id)
    return match_id, str(room["id"])

"""With Redis presence, two match processes share one index: a user whose fixes go to one
process meets a user whose fixes go to the other, and each is told exactly once.

Process 1 runs every service (the gateway holds both sockets); process 2 runs the match service
alone on the same PostgreSQL database, Redis and RabbitMQ, and is called directly.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.support.backends import Running, backend_settings, serve
from tests.support.users import discoverable, fresh_spot, north_of, person

pytestmark = pytest.mark.real


async def test_two_match_processes_share_presence_and_tell_each_pair_once(
    tmp_path: Path,
) -> None:
    async with backend_settings("real", tmp_path) as settings:
        async with serve(settings) as whole:
            # It verifies tokens against auth's keys, published through the first process.
            alone = settings.model_copy(update={"service_urls": {"auth": whole.url}})
            async with serve(alone, ["match"]) as match_only:
                await two_processes(whole, match_only)


async def two_processes(whole: Running, match_only: Running) -> None:
    ada = await person(whole.url, "Ada", ["chess", "jazz"])
    bob = await person(whole.url, "Bob", ["chess", "jazz"])
    async with ada, bob, httpx.AsyncClient(base_url=match_only.url) as second:
        for client in (ada, bob):
            await discoverable(whole, client, interests=["chess", "jazz"], radius=500)
        # The second process learns of them from the same users.* events (its own
        # consumer group is shared, so it reads the projection from the database).
        here = fresh_spot()
        async with ada.socket() as ada_socket, bob.socket() as bob_socket:
            await ada.post("/v1/location", {"latitude": here[0], "longitude": here[1]})
            there = north_of(here, 150)
            response = await second.post(
                "/v1/location",
                json={"latitude": there[0], "longitude": there[1]},
                headers={"Authorization": f"Bearer {bob.token}"},
            )
            assert response.status_code == 202, response.text
            assert response.json()["accepted"] is True

            told_ada = await ada_socket.expect("nearby", timeout=15)
            told_bob = await bob_socket.expect("nearby", timeout=15)
            assert told_ada["data"]["name"] == "Bob"
            assert told_bob["data"]["name"] == "Ada"

            # Both keep moving, through both processes at once: still told once.
            for step in range(1, 4):
                moves = [
                    ada.post(
                        "/v1/location",
                        {"latitude": here[0] + step * 1e-5, "longitude": here[1]},
                    ),
                    second.post(
                        "/v1/location",
                        json={"latitude": there[0] - step * 1e-5, "longitude": there[1]},
                        headers={"Authorization": f"Bearer {bob.token}"},
                    ),
                ]
                await asyncio.gather(*moves)
            await asyncio.sleep(1.0)
            for socket in (ada_socket, bob_socket):
                later = [f for f in drain(socket) if f.get("type") == "nearby"]
                assert later == []

        # Each process sees the other's users in the shared index.
        nearby_via_first = await ada.get("/v1/discovery/nearby")
        assert [p["name"] for p in nearby_via_first["nearby"]] == ["Bob"]
        via_second = await second.get(
            "/v1/discovery/nearby", headers={"Authorization": f"Bearer {ada.token}"}
        )
        assert [p["name"] for p in via_second.json()["nearby"]] == ["Bob"]


def drain(socket: object) -> list[dict[str, object]]:
    frames = []
    queue = socket.frames  # type: ignore[attr-defined]
    while not queue.empty():
        frames.append(queue.get_nowait())
    return frames

"""Discovery locations never reach a disk or a log (DESIGN.md section 6), on both backends.

Two people stream positions with distinctive digits, meet (so every path runs: ingest,
presence, matching, the nearby push, its stored event, the encounter row), and the system is
stopped. Then every file under the data folder (SQLite databases with their journals, mail),
every row of every table (PostgreSQL on the real backend), and everything the process wrote to
stdout and stderr at DEBUG level are searched for those positions: as text, and as the 8-byte
IEEE doubles a database would store.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from disco.client import DiscoClient
from tests.conftest import BACKENDS, PASSWORD, unique_email
from tests.support.backends import backend_settings, serve
from tests.support.users import rows_naming

# Distinctive digits: nothing else in a run produces them by chance.
A = (48.8566113, 2.3522219)
B = (48.8575113, 2.3522219)  # 100 m north of A
STEPS = [(0.0, 0.0), (0.0000411, 0.0000317), (0.0000823, 0.0000634)]


def text_needles() -> list[str]:
    needles = []
    for lat, lon in (A, B):
        for d_lat, d_lon in STEPS:
            needles += [f"{lat + d_lat:.6f}"[:9], f"{lon + d_lon:.6f}"[:8]]
    return sorted(set(needles))


def binary_needles() -> list[bytes]:
    values = [v for lat, lon in (A, B) for dl, dn in STEPS for v in (lat + dl, lon + dn)]
    return [struct.pack(order + "d", v) for v in values for order in "<>"]


def files_holding(folder: Path) -> list[str]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        text = data.decode("latin-1")
        hits = [n for n in text_needles() if n in text]
        hits += [repr(b) for b in binary_needles() if b in data]
        if hits:
            found.append(f"{path.relative_to(folder)}: {hits}")
    return found


async def discover(client: DiscoClient) -> None:
    await client.patch(
        "/v1/users/me",
        json={"interests": ["chess", "jazz"], "activities": ["coffee"], "mode": "social"},
    )
    await client.put(
        "/v1/users/me/preferences", json={"discoveryRadiusMeters": 500, "timeWindows": []}
    )
    await client.put("/v1/discovery", json={"enabled": True})


@pytest.mark.parametrize("where", BACKENDS)
async def test_no_location_reaches_a_file_a_table_or_a_log(
    where: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    async with backend_settings(where, data_dir, log_level="DEBUG") as settings:
        async with serve(settings) as running:
            async with DiscoClient(running.url) as a, DiscoClient(running.url) as b:
                await a.signup(unique_email("at-rest-a"), PASSWORD, "Ada", "Rest")
                await b.signup(unique_email("at-rest-b"), PASSWORD, "Bob", "Rest")
                await discover(a)
                await discover(b)
                async with a.socket() as sa, b.socket() as sb:
                    for d_lat, d_lon in STEPS:
                        for client, (lat, lon) in ((a, A), (b, B)):
                            await client.post(
                                "/v1/location",
                                json={"latitude": lat + d_lat, "longitude": lon + d_lon},
                            )
                    await sa.expect("nearby", timeout=15)
                    await sb.expect("nearby", timeout=15)
                nearby = await a.get("/v1/discovery/nearby")
                assert [p["name"] for p in nearby["nearby"]] == ["Bob"]
            rows = await rows_naming(settings, text_needles())
        output = capfd.readouterr()

        assert files_holding(data_dir) == []
        assert rows == []
        logged = output.out + output.err
        assert "location" in logged.lower(), "the run must have logged its requests at DEBUG"
        assert [n for n in text_needles() if n in logged] == []

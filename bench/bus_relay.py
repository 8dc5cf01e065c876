"""How many events a second the in-process bus of ``disco up`` gets applied, in one process.

    .venv/bin/python -m bench.bus_relay [--events 1000] [--consumers 3] [--runs 3]

As in ``disco up`` after a sign-up: every ``users.profile.updated`` goes to ``--consumers``
services (match, safety and chat), each applying it through its inbox in its own SQLite file
on its own single connection (one row written per event). Events are published one after the
other, as the outbox relay does, and each publish returns once every consumer has applied it.
The figure is what bounds how fast the consumers catch up after a burst of sign-ups.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, DateTime, MetaData, String, Table, insert

from bench.support import machine, scratch_dir
from disco.platform.bus.base import Envelope
from disco.platform.bus.inbox import idempotent
from disco.platform.bus.memory import MemoryBus
from disco.platform.db import Database, UnitOfWork

SERVICES = ("match", "safety", "chat", "users", "auth")


async def consumer(bus: MemoryBus, folder: Path, service: str) -> Database:
    metadata = MetaData()
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", String, primary_key=True),
        Column("handler", String, primary_key=True),
        Column("handled_at", DateTime(timezone=True)),
    )
    applied = Table("applied", metadata, Column("user_id", String, primary_key=True))
    db = Database(
        f"sqlite+aiosqlite:///{folder / service}.db", service=service, sqlite_single_connection=True
    )
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)

    async def apply(uow: UnitOfWork, envelope: Envelope) -> None:
        await uow.session.execute(insert(applied).values(user_id=envelope.payload["user_id"]))

    bus.subscribe(service, ["users.#"], idempotent(db, inbox, f"{service}:profile", apply))
    return db


async def one_run(folder: Path, events: int, consumers: int) -> float:
    bus = MemoryBus()
    dbs = [await consumer(bus, folder, service) for service in SERVICES[:consumers]]
    await bus.start()
    started = time.perf_counter()
    for number in range(events):
        payload = {"user_id": f"{folder.name}-{number}"}
        await bus.publish(
            Envelope(str(uuid.uuid4()), "users.profile.updated", 1, datetime.now(UTC), payload)
        )
    took = time.perf_counter() - started
    await bus.close()
    for db in dbs:
        await db.dispose()
    return events / took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--consumers", type=int, default=3, choices=range(1, len(SERVICES) + 1))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    rates = []
    with scratch_dir("disco-bench-bus-") as scratch:
        for run in range(args.runs):
            folder = scratch / f"run{run}"
            folder.mkdir()
            rates.append(asyncio.run(one_run(folder, args.events, args.consumers)))
    result = {
        "events_per_s": [round(rate) for rate in rates],
        "median_events_per_s": round(statistics.median(rates)),
        "args": vars(args),
        "machine": machine(),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

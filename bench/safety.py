"""Safety under load: how fast an alert reaches its contacts, how late a missed check-in is told.

    .venv/bin/python -m bench.safety [--mode embedded|real] [--alerts 1000] [--rate 20]
                                     [--checkins 10000] [--window 120] [--json-out FILE]

Disco runs as ``disco up`` in a child process; the contacts' mail goes to a real SMTP server
(aiosmtpd) in this process, which notes when each message arrives.

(a) Alerts: users with 3 confirmed emergency contacts each raise ``--alerts`` alerts through
    the API, open loop at ``--rate`` a second. Measured per alert: from just before the POST to
    the arrival of the last of its 3 contact emails (matched by the alert's live link). p50/p99.
(b) Check-ins: ``--checkins`` check-ins (grace 0, so the deadline is the due time) due evenly
    over ``--window`` seconds, all created beforehand. Measured per check-in: the lateness of
    the escalation past its deadline, twice: when the scheduler claimed it (the
    ``escalated_at`` the safety database records) and when its contact's email arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import itertools
import json
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python bench/safety.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from aiosmtpd.controller import Controller

from bench.support import (
    AMQP_URL,
    PASSWORD,
    REDIS_URL,
    Disco,
    broker_namespace,
    disco_env,
    free_port,
    fresh_database,
    machine,
    percentile,
    scratch_dir,
    write_json,
)
from disco.client import DiscoClient

HERE = {"latitude": 45.764, "longitude": 4.8357}
CONCURRENCY = 16
_ids = itertools.count()


@dataclass
class Arrival:
    at: float
    to: str
    body: str


@dataclass
class Inbox:
    """aiosmtpd handler: every message with the wall-clock time it arrived."""

    arrivals: list[Arrival] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        arrived = time.time()
        payload = message_from_bytes(envelope.content).get_payload(decode=True)
        body = payload.decode() if isinstance(payload, bytes) else ""
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.arrivals.append(Arrival(arrived, rcpt.lower(), body))
        return "250 OK"

    def to(self, address: str) -> list[Arrival]:
        with self.lock:
            return [a for a in self.arrivals if a.to == address.lower()]

    def snapshot(self) -> list[Arrival]:
        with self.lock:
            return list(self.arrivals)


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[Inbox, str]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def summary(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "p50_ms": round(percentile(values, 0.50) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


async def until(
    condition: Callable[[], bool | Awaitable[bool]], timeout: float, interval: float = 0.05
) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        held = condition()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(interval)


async def wait_for_mail(inbox: Inbox, address: str, count: int, timeout: float = 60) -> Arrival:
    if not await until(lambda: len(inbox.to(address)) >= count, timeout):
        raise TimeoutError(f"no mail {count} to {address}")
    return inbox.to(address)[count - 1]


async def user_with_contacts(
    url: str, inbox: Inbox, contacts: int
) -> tuple[DiscoClient, list[str]]:
    """A signed-up user whose ``contacts`` confirmed, once safety knows them all."""
    n = next(_ids)
    client = DiscoClient(url, timeout=60)
    await client.signup(f"bench-{n}-{time.time_ns()}@example.com", PASSWORD, f"Bench{n}", "Mark")
    addresses = []
    for c in range(contacts):
        address = f"contact-{n}-{c}-{time.time_ns()}@example.com"
        await client.post("/v1/users/me/emergency-contacts", {"name": f"C{c}", "email": address})
        mail = await wait_for_mail(inbox, address, 1)
        token = re.search(r"token=([A-Za-z0-9_\-]+)", mail.body)
        assert token, mail.body
        await client.get("/v1/users/contacts/confirm", params={"token": token.group(1)})
        addresses.append(address)

    async def all_known() -> bool:
        return len((await client.get("/v1/safety/contacts"))["contacts"]) == contacts

    assert await until(all_known, 60), "safety did not learn the contacts"
    return client, addresses


async def users(
    url: str, inbox: Inbox, count: int, contacts: int
) -> list[tuple[DiscoClient, list[str]]]:
    gate = asyncio.Semaphore(8)

    async def one() -> tuple[DiscoClient, list[str]]:
        async with gate:
            return await user_with_contacts(url, inbox, contacts)

    return await asyncio.gather(*(one() for _ in range(count)))


def mails_per(inbox: Inbox, pattern: str) -> dict[tuple[str, str], int]:
    """How many mails each recipient got about each thing ``pattern`` names (its group 1)."""
    counts: dict[tuple[str, str], int] = {}
    for arrival in inbox.snapshot():
        found = re.search(pattern, arrival.body)
        if found:
            key = (found.group(1), arrival.to)
            counts[key] = counts.get(key, 0) + 1
    return counts


async def bench_alerts(url: str, inbox: Inbox, alerts: int, rate: float) -> dict[str, Any]:
    people = await users(url, inbox, max(1, alerts // 20), 3)
    raised: dict[str, tuple[float, list[str]]] = {}  # live token -> (raised at, contacts)
    errors = 0

    async def raise_one(client: DiscoClient, contacts: list[str]) -> None:
        nonlocal errors
        started = time.time()
        response = await client.request("POST", "/v1/safety/alerts", json={"location": HERE})
        if response.status_code != 201:
            errors += 1
            return
        raised[response.json()["liveUrl"].rsplit("/", 1)[1]] = (started, contacts)

    began = time.monotonic()
    tasks = []
    for i in range(alerts):
        client, contacts = people[i % len(people)]
        await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(raise_one(client, contacts)))
    await asyncio.gather(*tasks)
    sent_for = time.monotonic() - began

    def delivered() -> dict[str, float]:
        last: dict[str, list[float]] = {}
        for arrival in inbox.snapshot():
            found = re.search(r"/#/live/([A-Za-z0-9_\-]+)", arrival.body)
            if found and found.group(1) in raised:
                last.setdefault(found.group(1), []).append(arrival.at)
        return {token: max(times) for token, times in last.items() if len(times) == 3}

    await until(lambda: len(delivered()) == len(raised), 300, interval=0.2)
    await asyncio.sleep(2)  # a repeat would come a moment after its first: give it time
    done = delivered()
    doubled = sum(count > 1 for count in mails_per(inbox, r"/#/live/([A-Za-z0-9_\-]+)").values())
    latencies = [done[token] - raised[token][0] for token in done]
    for client, _ in people:
        await client.close()
    return {
        "alerts": alerts,
        "users": len(people),
        "rate_per_s": rate,
        "raised_in_s": round(sent_for, 1),
        "errors": errors,
        "undelivered": len(raised) - len(done),
        "emails_doubled": doubled,
        "raise_to_last_contact_email": summary(latencies) if latencies else None,
    }


async def bench_checkins(
    url: str, inbox: Inbox, checkins: int, window: float, database: str
) -> dict[str, Any]:
    people = await users(url, inbox, max(1, checkins // 100), 1)
    # Creation first, every due time after it: measured lateness is the scheduler's, not ours.
    lead = 30 + checkins / 100
    window_start = datetime.now(UTC) + timedelta(seconds=lead)
    due = {
        f"bench-note-{i}": window_start + timedelta(seconds=window * i / checkins)
        for i in range(checkins)
    }
    gate = asyncio.Semaphore(CONCURRENCY)
    notes = list(due)
    created_started = time.monotonic()

    async def create(i: int) -> None:
        client, _ = people[i % len(people)]
        async with gate:
            await client.post(
                "/v1/safety/checkins", {"dueAt": due[notes[i]].isoformat(), "note": notes[i]}
            )

    await asyncio.gather(*(create(i) for i in range(checkins)))
    created_in = time.monotonic() - created_started
    if datetime.now(UTC) > window_start:
        print("bench: check-ins were still being created when the first came due", file=sys.stderr)
    await asyncio.sleep(max(0.0, (window_start - datetime.now(UTC)).total_seconds() + window))
    arrived: dict[str, float] = {}

    def all_arrived() -> bool:
        for arrival in inbox.snapshot():
            found = re.search(r"Their note: (bench-note-\d+)", arrival.body)
            if found:
                arrived.setdefault(found.group(1), arrival.at)
        return len(arrived) == checkins

    await until(all_arrived, 300, interval=0.5)
    await asyncio.sleep(2)  # a repeat would come a moment after its first: give it time
    doubled = sum(count > 1 for count in mails_per(inbox, r"Their note: (bench-note-\d+)").values())
    email_lateness = [arrived[n] - due[n].timestamp() for n in arrived]
    claims = await claimed(database)
    claim_lateness = [(at - deadline_at).total_seconds() for deadline_at, at in claims]
    for client, _ in people:
        await client.close()
    return {
        "checkins": checkins,
        "users": len(people),
        "window_s": window,
        "created_in_s": round(created_in, 1),
        "escalated": len(claims),
        "emails_arrived": len(arrived),
        "emails_doubled": doubled,
        "claim_lateness": summary(claim_lateness) if claim_lateness else None,
        "email_lateness": summary(email_lateness) if email_lateness else None,
    }


async def claimed(database: str) -> list[tuple[datetime, datetime]]:
    """(deadline, claimed at) of every escalated check-in, from the safety database (a
    PostgreSQL URL, or the path of the SQLite file)."""
    query = "select escalate_at, escalated_at from safety_checkins where escalated_at is not null"
    if database.startswith("postgresql"):
        conn = await asyncpg.connect(database.replace("+asyncpg", ""))
        try:
            return [(r["escalate_at"], r["escalated_at"]) for r in await conn.fetch(query)]
        finally:
            await conn.close()
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        rows = db.execute(query).fetchall()

    def parse(value: str) -> datetime:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    return [(parse(a), parse(b)) for a, b in rows]


def run(args: argparse.Namespace) -> dict[str, Any]:
    with scratch_dir("disco-bench-safety-") as scratch, smtp_server() as (inbox, smtp_url):
        settings = {
            "DISCO_SMTP_URL": smtp_url,
            "DISCO_CHECKIN_GRACE_SECONDS": "0",
            "DISCO_ACCESS_TOKEN_TTL_SECONDS": "3600",
        }
        with contextlib.ExitStack() as stack:
            database = str(scratch / "data" / "safety.sqlite3")
            if args.mode == "real":
                database = stack.enter_context(fresh_database())
                settings.update(
                    DISCO_DATABASE_URL=database,
                    DISCO_REDIS_URL=REDIS_URL,
                    DISCO_AMQP_URL=AMQP_URL,
                    DISCO_NAMESPACE=stack.enter_context(
                        broker_namespace(f"benchsafety{time.time_ns() % 10**8}")
                    ),
                )
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            disco = stack.enter_context(
                Disco(
                    ["up", "--port", str(port)],
                    disco_env(scratch / "data", **settings),
                    scratch / "disco.log",
                )
            )
            disco.wait_ready(url)

            async def both() -> dict[str, Any]:
                result: dict[str, Any] = {}
                if args.alerts:
                    result["alerts"] = await bench_alerts(url, inbox, args.alerts, args.rate)
                    print(json.dumps(result["alerts"]), file=sys.stderr)
                if args.checkins:
                    result["checkins"] = await bench_checkins(
                        url, inbox, args.checkins, args.window, database
                    )
                    print(json.dumps(result["checkins"]), file=sys.stderr)
                return result

            return asyncio.run(both())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["embedded", "real"], default="embedded")
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="alerts raised per second")
    parser.add_argument("--checkins", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=120.0, help="seconds the due times span")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    document = {"machine": machine(), "mode": args.mode, **run(args)}
    print(json.dumps(document, indent=2))
    write_json(args.json_out, document)


if __name__ == "__main__":
    main()

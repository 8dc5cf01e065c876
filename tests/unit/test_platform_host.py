"""The service host, the event router and the unit-of-work dependency, on SQLite and the
in-process bus: one small service built the way every service is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from random import Random
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from disco.config import Settings
from disco.platform.api import Uow
from disco.platform.bus.base import Envelope
from disco.platform.bus.memory import MemoryBus
from disco.platform.clock import SystemClock
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, inbox_table, new_id, outbox_table
from disco.platform.errors import Conflict
from disco.platform.host import ServiceHost
from disco.platform.http import ServiceDirectory
from disco.platform.kv.memory import MemoryKV
from disco.platform.mail import build_mailer
from disco.platform.security import FieldCipher, TokenVerifier
from disco.platform.service_auth import ServiceCredentials

metadata = MetaData()
notes = Table(
    "demo_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", String(50), nullable=False),
)
outbox = outbox_table(metadata, "demo")
inbox = inbox_table(metadata, "demo")


class NoteWritten(BaseModel):
    event_type: ClassVar[str] = "demo.note.written"
    event_version: ClassVar[int] = 1
    text: str


class Ignored(BaseModel):
    event_type: ClassVar[str] = "demo.other.happened"
    event_version: ClassVar[int] = 1


router = APIRouter(prefix="/v1/demo")


@router.post("/notes")
async def write_note(text: str, uow: Uow) -> dict[str, Any]:
    await uow.session.execute(insert(notes).values(text=text))
    await uow.publish(NoteWritten(text=text))
    if text == "refused":
        raise Conflict("kept out")
    return {"transaction": uow.name}


class Seen:
    """What the consumer applied, and in which transaction."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def on_note_written(self, uow: UnitOfWork, event: NoteWritten) -> None:
        assert uow.name.startswith("consume.")
        self.texts.append(event.text)


class Worker:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def start(self) -> None:
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


def context(tmp_path: Path) -> ServiceContext:
    settings = Settings(data_dir=tmp_path, environment="test")
    cipher = FieldCipher([FieldCipher.generate_key()])
    credentials = ServiceCredentials(cipher.derive_secrets("service-credentials"), caller="t")
    directory = ServiceDirectory(credentials)
    kv = MemoryKV()

    async def no_keys() -> dict[str, Any]:
        return {"keys": []}

    return ServiceContext(
        settings=settings,
        clock=SystemClock(),
        kv=kv,
        bus=MemoryBus(),
        services=directory,
        tokens=TokenVerifier(load_jwks=no_keys, kv=kv, issuer="i", audience="a"),
        cipher=cipher,
        credentials=credentials,
        mailer=build_mailer(None, tmp_path),
        random=Random(1),
    )


class ResponseStart:
    """Runs ``check`` the moment the app starts its answer."""

    def __init__(self, app: ASGIApp, check: Any) -> None:
        self.app, self.check = app, check
        self.seen: list[Any] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def spy(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.seen.append(await self.check())
            await send(message)

        await self.app(scope, receive, spy)


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[tuple[ServiceHost, Seen, list[str], Any]]:
    ctx = context(tmp_path)
    host = ServiceHost(ctx, "demo", outbox=outbox, inbox=inbox)
    async with host.db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    seen, log = Seen(), []
    host.consume({NoteWritten: seen.on_note_written})
    host.worker(Worker(log, "a"))
    host.worker(Worker(log, "b"))
    ticks = asyncio.Event()

    async def tick() -> None:
        ticks.set()

    host.every(0.01, tick, "tick")

    async def started() -> None:
        log.append("on_start")

    async def stopped() -> None:
        log.append("on_stop")

    host.on_start(started)
    host.on_stop(stopped)
    app = host.app(router)
    await ctx.bus.start()
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(ticks.wait(), 5)
        yield host, seen, log, app
    await ctx.bus.close()


async def test_the_host_starts_and_stops_what_the_service_has(demo: Any) -> None:
    host, _, log, app = demo
    assert log == ["on_start", "start a", "start b"]
    assert app.state.db is host.db
    assert set(app.state.readiness) == {"database"}


async def test_a_job_run_once_is_tried_again_until_it_succeeds(tmp_path: Path) -> None:
    host = ServiceHost(context(tmp_path), "demo", outbox=outbox, inbox=inbox)
    attempts: list[int] = []
    done = asyncio.Event()

    async def fails_twice() -> None:
        attempts.append(len(attempts) + 1)
        if len(attempts) < 3:
            raise RuntimeError("not yet")
        done.set()

    host.once(fails_twice, "a start-up job", retry_after=0.01)
    app = host.app(router)
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(done.wait(), 5)
        await asyncio.sleep(0.05)  # time for a fourth run, which must not come
    assert attempts == [1, 2, 3]


async def test_the_unit_of_work_commits_before_the_answer_and_is_named_after_the_route(
    demo: Any,
) -> None:
    host, seen, _, app = demo

    async def committed() -> list[str]:
        async with host.db.engine.connect() as conn:
            return [r.text for r in await conn.execute(select(notes.c.text))]

    spy = ResponseStart(app, committed)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=spy), base_url="http://demo"
    ) as http:
        answer = await http.post("/v1/demo/notes", params={"text": "hello"})
        assert answer.json() == {"transaction": "demo.write_note"}
        assert spy.seen == [["hello"]]  # visible to anyone as the answer starts

        refused = await http.post("/v1/demo/notes", params={"text": "refused"})
        assert refused.status_code == 409
        assert spy.seen[-1] == ["hello"]  # rolled back, event and all
    for _ in range(100):
        if seen.texts:
            break
        await asyncio.sleep(0.01)
    assert seen.texts == ["hello"]


async def test_an_event_is_applied_once_however_often_it_is_delivered(demo: Any) -> None:
    host, seen, _, _ = demo
    envelope = Envelope(new_id(), NoteWritten.event_type, 1, SystemClock().now(), {"text": "x"})
    for _ in range(3):
        await host.ctx.bus.publish(envelope)
    assert seen.texts == ["x"]


def test_an_event_routed_twice_in_one_group_is_refused(tmp_path: Path) -> None:
    host = ServiceHost(context(tmp_path), "demo", outbox=outbox, inbox=inbox)

    async def one(uow: UnitOfWork, event: Any) -> None: ...

    class Again(NoteWritten):
        pass

    with pytest.raises(ValueError, match="routed twice"):
        host.consume({NoteWritten: one, Again: one})
    host.consume({Ignored: one}, group="demo.other")  # another group may take other events

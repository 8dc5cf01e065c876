"""Background loops stop when told to, even when what they were doing answers the
cancellation with an error of its own (a database connection cut off mid-statement refuses
the rollback that follows). Before, such a loop caught that error, went on, and its service's
stop waited for ever: a real-mode system hung 211 s in CI before the test's timeout."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from disco.platform.db import Database
from disco.platform.host import _repeat
from disco.platform.tasks import stop_task


async def _interrupted() -> None:
    """A job that turns its cancellation into another error, as a cut-off connection does."""
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        raise RuntimeError("cannot perform operation: another operation is in progress") from None


async def test_a_periodic_job_that_turns_its_cancellation_into_an_error_still_stops() -> None:
    task = asyncio.create_task(_repeat(0.0, _interrupted, "the test job", first_after=0.0))
    await asyncio.sleep(0.05)  # inside the job
    task.cancel()
    await asyncio.wait({task}, timeout=2)
    assert task.cancelled(), "the job did not stop"


async def test_a_periodic_job_that_fails_on_its_own_is_tried_again() -> None:
    runs = 0

    async def failing() -> None:
        nonlocal runs
        runs += 1
        raise RuntimeError("the database is away")

    task = asyncio.create_task(_repeat(0.01, failing, "the test job", first_after=0.01))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert runs > 3


async def test_a_cancelled_unit_of_work_stays_cancelled_when_its_rollback_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", service="test")

    async def refused(_session: AsyncSession) -> None:
        raise RuntimeError("the connection cannot roll back")

    async def work() -> None:
        async with db.unit_of_work("test.cancelled") as uow:
            await uow.session.execute(text("select 1"))
            await asyncio.sleep(10)

    try:
        task = asyncio.create_task(work())
        await asyncio.sleep(0.05)
        monkeypatch.setattr(AsyncSession, "rollback", refused)
        task.cancel()
        await asyncio.wait({task}, timeout=2)
        assert task.cancelled(), task.exception() if task.done() else "still running"
    finally:
        monkeypatch.undo()
        await db.dispose()


async def test_a_task_that_forgets_its_cancellation_is_stopped_all_the_same() -> None:
    """A library that catches a cancellation and carries on (``uncancel``, or Python 3.11's
    ``wait_for`` when its operation ends as the cancellation lands) left a loop waiting for
    work with nothing to stop it: a real-mode system's stop hung 300 s in CI."""
    forgot = 0

    async def forgetful_loop() -> None:
        nonlocal forgot
        while True:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                if forgot:
                    raise
                forgot += 1
                task = asyncio.current_task()
                assert task is not None
                task.uncancel()

    task = asyncio.create_task(forgetful_loop())
    await asyncio.sleep(0.05)
    await asyncio.wait_for(stop_task(task), timeout=5)
    assert task.cancelled() and forgot == 1


async def test_stopping_a_task_leaves_what_it_failed_with_to_its_logs() -> None:
    async def fails_when_stopped() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            raise RuntimeError("the connection could not be closed") from None

    task = asyncio.create_task(fails_when_stopped())
    await asyncio.sleep(0.05)
    await stop_task(task)  # does not raise
    assert isinstance(task.exception(), RuntimeError)

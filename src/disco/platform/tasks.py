"""Background loops that keep going through errors, and still stop when they are told to.

A loop that retries on ``except Exception`` can swallow its own cancellation: a library that is
interrupted mid-operation may answer the ``CancelledError`` with an error of its own (a
database connection cut off mid-statement refuses the rollback that follows), and once that
error is caught the cancellation is gone, so the loop goes on and whoever awaits it to stop
waits for ever. Such a loop's handler calls ``end_if_stopping(exc)`` first.

A cancellation can also vanish without any error: a library may catch it and carry on (Python
3.11's ``asyncio.wait_for`` returns the result when the awaited operation ends as the
cancellation lands; others ``uncancel``). The loop then goes back to waiting for work with
nothing left to stop it. So a background task is stopped with ``stop_task``, which cancels it
again until it has ended.
"""

from __future__ import annotations

import asyncio
import logging

__all__ = ["end_if_stopping", "stop_requested", "stop_task"]

log = logging.getLogger(__name__)

# How long a stop waits for a cancelled task before cancelling it again.
_RECANCEL_SECONDS = 1.0


def stop_requested() -> bool:
    """True if the running task has been asked to stop (cancelled), whatever became of the
    ``CancelledError`` on its way up."""
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0


def end_if_stopping(cause: BaseException) -> None:
    """In a loop's error handler: if the task is being stopped, end it as cancelled (the error
    chained), as its stopper expects, instead of handling the error and going on."""
    if stop_requested():
        raise asyncio.CancelledError from cause


async def stop_task(task: asyncio.Task[object] | None) -> None:
    """Cancel ``task`` and wait until it has ended, cancelling it again every second while it
    runs on: once something in it caught and forgot the first cancellation, only another one
    ends it."""
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=_RECANCEL_SECONDS)
        if not task.done():
            log.warning("%s carried on after being cancelled: cancelling it again", task.get_name())
    if not task.cancelled():
        task.exception()  # retrieved: how it ended is for its own logs, not a warning at exit

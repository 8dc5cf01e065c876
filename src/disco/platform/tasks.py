"""Background loops that keep going through errors, and still stop when they are told to.

A loop that retries on ``except Exception`` can swallow its own cancellation: a library that is
interrupted mid-operation may answer the ``CancelledError`` with an error of its own (a
database connection cut off mid-statement refuses the rollback that follows), and once that
error is caught the cancellation is gone, so the loop goes on and whoever awaits it to stop
waits for ever. Such a loop's handler calls ``end_if_stopping(exc)`` first.

A cancellation can also vanish without an error: Python 3.11's ``asyncio.wait_for`` returns
the result and drops a cancellation that lands as the awaited operation finishes (a broker's
publish confirm that arrives as the relay is stopped, say). The task stays marked as being
cancelled, but nothing will raise in it again, so a loop also calls ``end_if_stopping()`` at
the top of every round.
"""

from __future__ import annotations

import asyncio

__all__ = ["end_if_stopping", "stop_requested"]


def stop_requested() -> bool:
    """True if the running task has been asked to stop (cancelled), whatever became of the
    ``CancelledError`` on its way up."""
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0


def end_if_stopping(cause: BaseException | None = None) -> None:
    """At the top of a loop's round, and in its error handler: if the task is being stopped,
    end it as cancelled (``cause`` chained), as its stopper expects, instead of going on."""
    if stop_requested():
        raise asyncio.CancelledError from cause

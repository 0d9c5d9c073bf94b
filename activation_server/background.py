"""``background(*jobs)``: the periodic jobs of a ``cleanup_ctx`` (the mail sender, the renewal
reminders, the key refresh, the metrics), run as tasks while the application runs and stopped
when it closes.

Stopping a task is not one ``cancel()`` on Python 3.11: a cancel that arrives in the same step as
the result ``asyncio.wait_for`` was waiting for is dropped (the result is returned), and one that
meets the deadline of ``asyncio.timeout`` becomes a ``TimeoutError``, which a job that retries on
an unreachable database or mail server then catches. The job runs on, and a clean-up awaiting it
waits forever. So the task is cancelled again every ``RECANCEL_SECONDS`` until it has ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

log = logging.getLogger(__name__)

RECANCEL_SECONDS = 0.5


@contextlib.asynccontextmanager
async def background(*jobs: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Runs ``jobs`` as tasks for the duration of the block; on the way out, cancels them and
    returns once every one has ended."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        yield
    finally:
        await _stop(tasks)


async def _stop(tasks: list[asyncio.Task[None]]) -> None:
    """Cancels ``tasks`` until every one has ended (see the module's note)."""
    running = [task for task in tasks if not task.done()]
    while running:
        for task in running:
            task.cancel()
        _, still = await asyncio.wait(running, timeout=RECANCEL_SECONDS)
        running = list(still)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            log.error("background job %s ended with an error", task, exc_info=task.exception())

"""Stop a background task for sure.

nats-py turns a cancellation inside ``request``/``fetch`` into its own
TimeoutError, so a loop that handles errors can swallow the one cancel
meant to stop it; :func:`stop_task` cancels again until the task is done.
"""

from __future__ import annotations

import asyncio
import contextlib


async def stop_task(task: asyncio.Task[None] | None, every_s: float = 0.5) -> None:
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=every_s)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()

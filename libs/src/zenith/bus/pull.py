"""One loop for a durable pull consumer: fetch, decode, handle, ack.

    await consume(sub, stop, handle, "uploads", model=ingest.UploadReceived)

Each message is decoded into ``model`` (a message that does not decode is
logged and terminated: redelivering it cannot help), handed to ``handle``
and acknowledged once ``handle`` returns. When ``handle`` fails (a store or a
service away) the message is nak'ed with a delay, so it comes again later
and nothing is lost. A failed fetch (NATS away) is logged and retried.

``concurrency`` > 1 handles up to that many messages of a fetched batch at
once; messages with the same ``order_key`` (say, one camera's) are still
handled one after the other, in the order they came.

When the loop ends the subscription is released (:func:`release`): nats-py
takes a fetched batch off a pull subscription's queue without marking it
done, so draining the connection with the subscription still open waits out
the whole drain timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from nats.js import JetStreamContext
from pydantic import BaseModel, ValidationError

log = logging.getLogger("zenith.bus")


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


async def release(sub: JetStreamContext.PullSubscription | None) -> None:
    """Unsubscribe a pull subscription whose loop has ended (the durable
    consumer stays on the server); a connection already closed is fine."""
    if sub is not None:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


async def consume(sub: JetStreamContext.PullSubscription, stop: asyncio.Event,
                  handle: Callable[[Any], Awaitable[object]], label: str, *,
                  model: type[BaseModel] | None = None, batch: int = 16,
                  redeliver_s: float = 5.0, concurrency: int = 1,
                  order_key: Callable[[Any], object] | None = None) -> None:
    """Handle messages of ``sub`` until ``stop`` is set."""

    async def apply(msg: Any, item: Any) -> None:
        try:
            await handle(item)
            await msg.ack()
        except Exception as exc:  # a store or a service away: redelivered later
            log.warning("%s consumer: not applied yet: %s", label, _describe(exc))
            with contextlib.suppress(Exception):
                await msg.nak(delay=redeliver_s)

    gate = asyncio.Semaphore(max(1, concurrency))

    async def in_order(group: list[tuple[Any, Any]]) -> None:
        async with gate:
            for msg, item in group:
                await apply(msg, item)

    try:
        while not stop.is_set():
            try:
                msgs = await sub.fetch(batch, timeout=2)
            except TimeoutError:  # nothing came (nats-py raises its own or asyncio's)
                continue
            except Exception as exc:
                if stop.is_set():
                    break
                log.warning("%s consumer: %s", label, _describe(exc))
                await asyncio.sleep(1)
                continue
            groups: dict[object, list[tuple[Any, Any]]] = {}
            for n, msg in enumerate(msgs):
                item: Any = msg.data
                if model is not None:
                    try:
                        item = model.model_validate_json(msg.data)
                    except ValidationError as exc:
                        log.warning("%s consumer: dropping a malformed message: %s", label, exc)
                        await msg.term()
                        continue
                if concurrency <= 1:
                    await apply(msg, item)
                    continue
                key = order_key(item) if order_key is not None else n
                groups.setdefault(key, []).append((msg, item))
            if groups:
                await asyncio.gather(*(in_order(group) for group in groups.values()))
    finally:
        await release(sub)

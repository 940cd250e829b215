"""Publish a declared event on JetStream, typed, with its ``Nats-Msg-Id``.

    await publish_event(js, frames.FRAME_CAPTURED, payload, msg_id=frame_id,
                        camera="demo")

The payload must be the event's model; the message id makes a repeated
publication (a retry, a replay) a no-op inside the stream's duplicate
window. :func:`try_publish` is the form for events that must never stop the
work that produced them: a failure is logged and counted, never raised.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from nats.js import JetStreamContext
from nats.js.api import PubAck
from pydantic import BaseModel

from zenith.contracts.base import Event
from zenith.telemetry.metrics import EVENTS_PUBLISHED, EVENTS_UNPUBLISHED

log = logging.getLogger("zenith.bus")

P = TypeVar("P", bound=BaseModel)


async def publish_event(js: JetStreamContext, event: Event[P], payload: P, *,
                        msg_id: str | None = None, timeout: float = 5.0,
                        **params: str) -> PubAck:
    """Publish ``payload`` on the event's subject; returns the stream's ack
    (``ack.duplicate`` when the message id was seen within the window)."""
    if not isinstance(payload, event.payload):
        raise TypeError(f"{event.name} carries {event.payload.__name__}, "
                        f"not {type(payload).__name__}")
    headers = {"Nats-Msg-Id": msg_id} if msg_id else None
    ack = await js.publish(event.subject_for(**params), payload.model_dump_json().encode(),
                           timeout=timeout, headers=headers)
    EVENTS_PUBLISHED.labels(event.name).inc()
    return ack


async def try_publish(js: JetStreamContext, event: Event[P], payload: P, *,
                      msg_id: str | None = None, timeout: float = 5.0,
                      **params: Any) -> bool:
    """:func:`publish_event`, but a failure is logged and counted, not raised."""
    try:
        await publish_event(js, event, payload, msg_id=msg_id, timeout=timeout, **params)
        return True
    except Exception as exc:
        EVENTS_UNPUBLISHED.labels(event.name).inc()
        log.warning("could not publish %s: %s", event.name, exc or type(exc).__name__)
        return False

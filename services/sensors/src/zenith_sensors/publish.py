"""Publish the service's events; a failure is logged and counted, never raised.

(To become ``zenith.bus.events.try_publish`` once that lands.)
"""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from pydantic import BaseModel

from zenith.contracts.base import Event
from zenith_sensors.metrics import UNPUBLISHED

log = logging.getLogger("zenith.sensors")


async def publish(js: JetStreamContext, event: Event, payload: BaseModel, msg_id: str | None,
                  **params: str) -> bool:
    headers = {"Nats-Msg-Id": msg_id} if msg_id else None
    try:
        await js.publish(event.subject_for(**params), payload.model_dump_json().encode(),
                         timeout=5.0, headers=headers)
        return True
    except Exception as exc:
        UNPUBLISHED.labels(event.name).inc()
        log.warning("could not publish %s: %s", event.name, exc or type(exc).__name__)
        return False

"""Follow the focuser: its position events on the STATUS stream.

An ordered JetStream consumer starting from the last message of the
subject gives the current position at once (the stream keeps the last
value) and every change after it, across reconnects.
"""

from __future__ import annotations

import logging

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from pydantic import ValidationError

from zenith.contracts import focuser

log = logging.getLogger("zenith.capture")


class FocusTracker:
    def __init__(self) -> None:
        self.position: int | None = None
        self._sub: object | None = None

    def get(self) -> int | None:
        return self.position

    async def start(self, js: JetStreamContext, camera: str) -> None:
        subject = focuser.POSITION.subject_for(camera=camera)
        self._sub = await js.subscribe(subject, cb=self._on_msg, ordered_consumer=True,
                                       deliver_policy=DeliverPolicy.LAST_PER_SUBJECT)

    async def _on_msg(self, msg: Msg) -> None:
        try:
            event = focuser.Position.model_validate_json(msg.data)
        except ValidationError:
            log.warning("ignoring a malformed focuser position event")
            return
        if event.position != self.position:
            log.info("focuser at %d", event.position)
        self.position = event.position

    async def stop(self) -> None:
        sub = self._sub
        self._sub = None
        if sub is not None:
            try:
                await sub.unsubscribe()  # type: ignore[attr-defined]
            except Exception:  # the connection may be closing already
                pass

"""Who is on the bus: the micro ``$SRV.PING`` answers of named services.

``GET /healthz`` and ``zenith health`` both ask through :func:`gather_pings`:
one ping per service name to a private inbox, every answer gathered until the
window closes (or until ``enough`` says the answer is already known).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.micro.service import ServiceVerb, control_subject
from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger("zenith.bus")


class PingReply(BaseModel):
    """What a micro service instance answers on ``$SRV.PING`` (the fields we read)."""

    model_config = ConfigDict(extra="ignore")

    name: str
    id: str
    version: str = ""
    metadata: dict[str, str] | None = None

    @property
    def host(self) -> str | None:
        return (self.metadata or {}).get("host")


def ping_subject(service: str) -> str:
    """The discovery subject every instance of ``service`` answers."""
    return str(control_subject(ServiceVerb.PING, service))


async def gather_pings(nc: Client, services: Sequence[str], window: float,
                       enough: Callable[[PingReply], bool] | None = None
                       ) -> dict[str, list[PingReply]]:
    """The ``PING`` answers of ``services`` that arrive within ``window`` seconds.

    One entry per instance (by id). A disconnected client answers with what
    arrived so far. With ``enough``, the first answer it accepts ends the wait.
    """
    found: dict[str, dict[str, PingReply]] = {name: {} for name in services}
    done = asyncio.Event()

    async def on_reply(msg: Msg) -> None:
        try:
            reply = PingReply.model_validate_json(msg.data)
        except ValidationError:
            return
        if reply.name in found:
            found[reply.name][reply.id] = reply
            if enough is not None and enough(reply):
                done.set()

    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox, cb=on_reply)
    try:
        for name in services:
            await nc.publish(ping_subject(name), b"", reply=inbox)
        await nc.flush(timeout=max(1, round(window)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), window)
    except Exception as exc:  # disconnected: whatever answered so far is the answer
        log.warning("health ping failed: %s", exc or type(exc).__name__)
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
    return {name: list(replies.values()) for name, replies in found.items()}

"""``GET /healthz``: ping every service on the bus and count who answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Sequence

from aiohttp import web
from nats.aio.client import Client as Nats
from nats.aio.msg import Msg
from pydantic import ValidationError

from zenith.contracts.web import Health, PingReply, ServiceHealth, ping_subject
from zenith_web import keys
from zenith_web.bridge import model_response

log = logging.getLogger("zenith.web.health")


async def gather_pings(nc: Nats, services: Sequence[str],
                       window: float) -> dict[str, list[PingReply]]:
    """Every ``$SRV.PING`` answer of ``services`` that arrives within ``window`` s."""
    found: dict[str, dict[str, PingReply]] = defaultdict(dict)

    async def on_reply(msg: Msg) -> None:
        try:
            reply = PingReply.model_validate_json(msg.data)
        except ValidationError:
            return
        if reply.name in services:
            found[reply.name][reply.id] = reply

    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox, cb=on_reply)
    try:
        for name in services:
            await nc.publish(ping_subject(name), b"", reply=inbox)
        await nc.flush(timeout=window)
        await asyncio.sleep(window)
    except Exception as exc:  # disconnected: whatever answered so far is the answer
        log.warning("health ping failed: %s", exc)
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
    return {name: list(found[name].values()) for name in services}


def summarise(pings: dict[str, list[PingReply]]) -> Health:
    services = {
        name: ServiceHealth(healthy=bool(replies), instances=len(replies),
                            version=replies[0].version if replies else None)
        for name, replies in pings.items()
    }
    healthy = all(s.healthy for s in services.values())
    return Health(status="ok" if healthy else "degraded", services=services)


async def healthz(request: web.Request) -> web.Response:
    settings = request.app[keys.SETTINGS]
    pings = await gather_pings(request.app[keys.NC], tuple(settings.web_health_services),
                               settings.web_health_window)
    health = summarise(pings)
    return model_response(health, status=200 if health.status == "ok" else 503)

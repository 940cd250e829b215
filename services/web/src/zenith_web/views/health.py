"""``GET /healthz``: ping every service on the bus and count who answers."""

from __future__ import annotations

from aiohttp import web

from zenith.bus.discovery import PingReply, gather_pings
from zenith.contracts.web import Health, ServiceHealth
from zenith_web import keys
from zenith_web.bridge import model_response


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

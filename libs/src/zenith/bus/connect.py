"""Connect to NATS and stay connected: reconnect forever with backoff."""

from __future__ import annotations

import logging
import random
from typing import Any

import nats
from nats.aio.client import Client

from zenith.retry import delay_for

log = logging.getLogger("zenith.bus")

FIRST_BACKOFF_S = 0.05
MAX_BACKOFF_S = 2.0


def _backoff(servers: list[Any], info: dict[str, Any]) -> tuple[Any, float]:
    """Pick the least-tried server; wait 0.05 s doubling to 2 s, with ±20 % jitter."""
    server = min(servers, key=lambda s: s.reconnects)
    delay = delay_for(server.reconnects + 1, FIRST_BACKOFF_S, MAX_BACKOFF_S)
    return server, delay * random.uniform(0.8, 1.2)


async def connect(url: str, name: str, credential: tuple[str, str] | None = None,
                  **options: Any) -> Client:
    """Connect as ``name`` (as NATS user ``credential`` = (user, password) when
    given); waits for the server if it is not up yet.

    The connection reconnects on its own for ever; subscriptions (micro
    endpoints included) are re-established by the client after a reconnect.
    """

    async def on_error(exc: Exception) -> None:
        log.warning("nats error: %s", exc or type(exc).__name__)

    async def on_disconnect() -> None:
        log.warning("disconnected from nats")

    async def on_reconnect() -> None:
        log.info("reconnected to nats")

    params: dict[str, Any] = {
        "servers": [u.strip() for u in url.split(",") if u.strip()],
        "name": name,
        "allow_reconnect": True,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 1,
        "connect_timeout": 2,
        "ping_interval": 10,
        "max_outstanding_pings": 3,
        "error_cb": on_error,
        "disconnected_cb": on_disconnect,
        "reconnected_cb": on_reconnect,
        "reconnect_to_server_handler": _backoff,
    }
    if credential is not None:
        params["user"], params["password"] = credential
    params.update(options)
    return await nats.connect(**params)

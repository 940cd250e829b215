"""The network settings an administrator changes (site name, map tiles,
Grafana URL), as the web service reads them: the network service's answer to
``network.config-get``, kept for ``REFRESH_S`` so a page asks at most that
often. On a node (no network service) or while network is away the web
service's own settings apply.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler

from zenith.contracts import admin
from zenith.contracts.base import Empty
from zenith.errors import ZenithError
from zenith_web import keys

log = logging.getLogger("zenith.web.netconfig")
REFRESH_S = 30.0
ASK_TIMEOUT_S = 1.0


@dataclass
class NetworkConfigCache:
    config: admin.NetworkConfig = field(default_factory=admin.NetworkConfig)
    fetched_at: float = float("-inf")

    def forget(self) -> None:
        self.fetched_at = float("-inf")


CONFIG = web.AppKey("network_config", NetworkConfigCache)


def config_of(app: web.Application) -> admin.NetworkConfig:
    cache = app.get(CONFIG)
    return cache.config if cache is not None else admin.NetworkConfig()


def site_name(app: web.Application) -> str:
    return config_of(app).site_name or app[keys.SETTINGS].site_name


def map_tiles(app: web.Application) -> str:
    return config_of(app).map_tiles or app[keys.SETTINGS].web_map_tiles


async def refresh(app: web.Application) -> None:
    cache = app[CONFIG]
    cache.fetched_at = time.monotonic()
    try:
        cache.config = await app[keys.BUS].request(admin.CONFIG_GET, Empty(),
                                                   timeout=ASK_TIMEOUT_S)
    except ZenithError as exc:
        log.debug("network settings not read: %s", exc.message)


@web.middleware
async def network_config_middleware(request: web.Request, handler: Handler
                                    ) -> web.StreamResponse:
    """Before a page: read the network settings again when they are stale."""
    cache = request.app.get(CONFIG)
    if cache is not None and time.monotonic() - cache.fetched_at > REFRESH_S \
            and request.method == "GET" and not request.path.startswith("/static/"):
        await refresh(request.app)
    return await handler(request)


def setup_network_config(app: web.Application) -> None:
    app[CONFIG] = NetworkConfigCache()
    app.middlewares.append(network_config_middleware)

"""Where each camera is: the site its nights are cut by.

On a hub the products service makes the nights of cameras all over the
globe, so the end-of-night check (the sun above the angle) must use each
camera's own location. The network service owns it (``network.CAMERA_GET``);
it is asked once per camera and kept for :data:`REFRESH_S`. Without an
answer (a node runs no network service, or it is away) the service's own
``latitude``/``longitude``/``elevation`` settings are used, and asked again
after :data:`RETRY_S`; a camera the registry does not know also falls back.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from zenith.bus.client import BusClient
from zenith.contracts import network
from zenith.errors import NotFound, ZenithError
from zenith_products.settings import ProductsSettings

log = logging.getLogger("zenith.products.sites")

REFRESH_S = 600.0
RETRY_S = 60.0


@dataclass(frozen=True)
class Site:
    latitude: float
    longitude: float
    elevation: float


class Sites:
    def __init__(self, bus: BusClient | None, settings: ProductsSettings) -> None:
        self.bus = bus
        self.default = Site(settings.latitude, settings.longitude, settings.elevation)
        self._cache: dict[str, tuple[float, Site]] = {}  # camera -> (valid until, site)

    async def site(self, camera: str) -> Site:
        now = time.monotonic()
        cached = self._cache.get(camera)
        if cached is not None and cached[0] > now:
            return cached[1]
        found, keep = await self._ask(camera)
        if found is None:
            found = cached[1] if cached is not None else self.default
        self._cache[camera] = (now + keep, found)
        return found

    async def _ask(self, camera: str) -> tuple[Site | None, float]:
        if self.bus is None:
            return None, REFRESH_S
        try:
            cam = await self.bus.request(network.CAMERA_GET, network.CameraRef(camera=camera))
        except NotFound:
            return self.default, REFRESH_S
        except ZenithError as exc:  # no network service here, or away: the settings
            log.debug("%s: location not known (%s); using the settings", camera, exc)
            return None, RETRY_S
        loc = cam.location
        return Site(loc.latitude, loc.longitude, loc.elevation), REFRESH_S

"""On a hub each camera's night ends at its own sunrise: the end-of-night check
asks the network service where the camera is, not the service's own settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.services.network.conftest import auth_settings, camera_body, network_settings
from tests.services.products.productstest import Night, ProductEvents, publish, running
from zenith.contracts import network
from zenith.runner import service_context
from zenith_auth.main import serve as serve_auth
from zenith_network.main import serve as serve_network
from zenith_products.sun import sunrise_after

SITES = {"west": (40.0, -120.0), "east": (40.0, 120.0)}  # 16 hours of longitude apart


async def test_each_camera_s_night_is_cut_at_its_own_sunrise(settings, blobs, nc,
                                                             tmp_path: Path) -> None:
    settings = settings.model_copy(update={"latitude": 52.0, "longitude": 5.0,
                                           "products_sun_angle": -6.0,
                                           "products_finalise_grace_s": 0.5,
                                           "products_tick_s": 0.2})
    evening = datetime(2026, 11, 21, 12, 0, tzinfo=UTC).timestamp()
    nights: dict[str, Night] = {}
    for camera, (lat, lon) in SITES.items():
        own = sunrise_after(evening, lat, lon, 0.0, -6.0)
        # at the settings' site (lat 52, lon 5) the sun is hours from rising then:
        # cut by the settings, neither night would end during this test
        assert sunrise_after(own - 2, 52.0, 5.0, 0.0, -6.0) - own > 3 * 3600
        nights[camera] = Night(camera=camera, night="2026-11-21",
                               start=datetime.fromtimestamp(own - 6, UTC),
                               interval=timedelta(seconds=2))
    events = {camera: await ProductEvents.listen(nc, camera) for camera in SITES}
    async with service_context("auth", auth_settings(tmp_path, settings.nats_url), serve_auth), \
            service_context("network", network_settings(tmp_path, settings.nats_url),
                            serve_network) as net:
        for camera, (lat, lon) in SITES.items():
            await net.bus.request(network.CAMERA_ADD, camera_body(camera, location={
                "latitude": lat, "longitude": lon, "timezone": "UTC"}))
        async with running(settings.model_copy(update={"products_hub_ingest": True})) as ctx:
            for night in nights.values():  # the last frame 2 s before the camera's sunrise
                await publish(ctx.js, blobs, night.frames(3))
            finals = await asyncio.gather(*(events[c].wait_final(night="2026-11-21",
                                                                  timeout=60)
                                            for c in SITES))
    for final in finals:
        assert final["keogram"].frames == 3 and final["keogram"].final
    assert {f["keogram"].camera for f in finals} == set(SITES)


async def test_a_camera_the_registry_does_not_know_uses_the_settings(settings: Any) -> None:
    import nats

    from zenith.bus.client import BusClient
    from zenith_products.sites import Site, Sites

    nc = await nats.connect(settings.nats_url)
    try:
        sites = Sites(BusClient(nc, timeout=1.0), settings)  # no network service: no answer
        assert await sites.site("nowhere") == Site(settings.latitude, settings.longitude,
                                                   settings.elevation)
        assert await Sites(None, settings).site("nowhere") == sites.default
    finally:
        await nc.close()

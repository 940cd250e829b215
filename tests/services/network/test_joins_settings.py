"""The network settings an admin changes are used by the network service
itself: the offline threshold replaces the service's own setting on the fly."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from nats.aio.client import Client

from zenith.bus.client import BusClient
from zenith.cli.nats_server import NatsServer
from zenith.contracts import admin
from zenith.contracts import network as c
from zenith.runner import service_context
from zenith_network.main import serve

from .conftest import camera_body, network_settings
from .test_status import publish_frame, wait_for


async def test_the_admins_offline_threshold_applies(tmp_path: Path, nats_server: NatsServer,
                                                    auth: Any, bus: BusClient, nc: Client
                                                    ) -> None:
    settings = network_settings(tmp_path, nats_server.url, network_offline_after_s=3600,
                                network_status_every_s=0.2)
    js = nc.jetstream()
    async with service_context("network", settings, serve):
        await bus.request(c.CAMERA_ADD, camera_body("alpha"))
        await publish_frame(js, "alpha", "f1", age_s=300)  # 5 min old: online under 1 h

        async def online() -> bool:
            return (await bus.request(c.CAMERA_GET, {"camera": "alpha"})).online

        await wait_for(online)
        await bus.request(admin.CONFIG_SET, {"offline_after_s": 120},
                          headers={"Zenith-User": "root-admin"})

        async def offline() -> bool:
            return not await online()

        await wait_for(offline)  # 5 min without a frame is beyond the admin's 2 min
        await bus.request(admin.CONFIG_SET, {}, headers={"Zenith-User": "root-admin"})
        await asyncio.sleep(0.6)  # the service's own hour again: a 5-min-old frame counts
        await publish_frame(js, "alpha", "f2", age_s=300)
        await wait_for(online)

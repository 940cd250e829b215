"""The sensors service in-process on a real nats-server (simulated sensors)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from tests.services.sensors.sensorstest import CAMERA, SensorsRunner
from zenith_sensors.settings import SensorsSettings


@pytest.fixture
def settings(nats_server: Any, tmp_path: Path) -> SensorsSettings:
    return SensorsSettings(camera=CAMERA, nats_url=nats_server.url, data_dir=tmp_path,
                           sensors_backend="simulated", sensors_devices=[], sensors_heaters=[],
                           sensors_fans=[], sensors_alerts=[], sensors_retry_max_s=0.5,
                           sensors_control_interval_s=0.2)


@pytest.fixture
async def runner(settings: SensorsSettings, nc: Client) -> AsyncIterator[SensorsRunner]:
    r = SensorsRunner(settings)
    try:
        yield r
    finally:
        await r.stop()

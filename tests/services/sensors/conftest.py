"""The sensors service in-process on a real nats-server (simulated sensors)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from tests.services.sensors.sensorstest import CAMERA, SensorsRunner
from zenith.contracts.base import Endpoint
from zenith_sensors.settings import SensorsSettings


@pytest.fixture
def settings(nats_server: Any, tmp_path: Path) -> SensorsSettings:
    return SensorsSettings(camera=CAMERA, nats_url=nats_server.url, data_dir=tmp_path,
                           sensors_backend="simulated", sensors_devices=[], sensors_heaters=[],
                           sensors_fans=[], sensors_alerts=[], sensors_retry_max_s=0.5,
                           sensors_control_interval_s=0.2,
                           # dusk at longitude 5 °E: the simulated night starts at once
                           sensors_sim_start=datetime(2026, 1, 10, 17, 40, tzinfo=UTC))


@pytest.fixture
async def runner(settings: SensorsSettings, nc: Client) -> AsyncIterator[SensorsRunner]:
    r = SensorsRunner(settings)
    try:
        yield r
    finally:
        await r.stop()


@pytest.fixture
def raw(nc: Client) -> Any:
    """Send raw bytes like the NATS CLI would; returns (status or 200, JSON body)."""

    async def send(endpoint: Endpoint, payload: bytes | dict[str, Any] | str,
                   timeout: float = 5.0) -> tuple[int, Any]:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        subject = endpoint.subject_for(camera=CAMERA) if endpoint.placeholders \
            else endpoint.subject
        msg = await nc.request(subject, data, timeout=timeout)
        status = int((msg.headers or {}).get("Nats-Service-Error-Code", 200))
        return status, json.loads(msg.data)

    return send

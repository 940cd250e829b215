"""The gpio service in-process on a real nats-server, with gpiozero's mock pins.

``gpio_svc`` starts the service (a :class:`GpioRunner`, whose ``restart``
stops it and starts it again on the same nats-server and the same mock
factory, whose pins the tests read).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory
from nats.aio.client import Client

from tests.services.gpio.gpiotest import CAMERA, GpioRunner
from zenith.contracts.base import Endpoint
from zenith_gpio.backends.mock import mock_factory
from zenith_gpio.settings import GpioSettings


@pytest.fixture
def factory() -> MockFactory:
    return mock_factory()


@pytest.fixture
def settings(nats_server: Any, tmp_path: Path) -> GpioSettings:
    return GpioSettings(camera=CAMERA, nats_url=nats_server.url, data_dir=tmp_path,
                        gpio_onewire_dir=tmp_path / "w1", gpio_i2c_dev_dir=tmp_path / "dev",
                        gpio_autofocus_settle_s=0, gpio_autofocus_timeout_s=5)


@pytest.fixture
async def gpio_svc(settings: GpioSettings, factory: MockFactory, nc: Client
               ) -> AsyncIterator[GpioRunner]:
    runner = GpioRunner(settings, factory)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


@pytest.fixture
def raw(nc: Client) -> Callable[..., Any]:
    """Send raw bytes like the NATS CLI would; returns (status or 200, JSON body)."""

    async def send(endpoint: Endpoint, payload: bytes | dict[str, Any] | list[Any] | str,
                   timeout: float = 5.0) -> tuple[int, Any]:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        msg = await nc.request(endpoint.subject_for(camera=CAMERA), data, timeout=timeout)
        status = int((msg.headers or {}).get("Nats-Service-Error-Code", 200))
        return status, json.loads(msg.data)

    return send

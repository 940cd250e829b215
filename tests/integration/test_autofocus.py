"""Autofocus end to end: the real gpio service moves the focuser, the real
capture service's simulator blurs its stars with the distance from focus,
and the sweep ends within a few steps of the simulator's true focus."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from zenith.bus import BusClient
from zenith.config import load_settings
from zenith.contracts import focuser
from zenith.runner import service_context
from zenith_capture.service import serve as serve_capture
from zenith_capture.settings import CaptureSettings
from zenith_gpio.backends.mock import mock_factory
from zenith_gpio.main import make_serve
from zenith_gpio.settings import GpioSettings

CAMERA = "af-cam"
TRUE_FOCUS = 1000
pytestmark = pytest.mark.slow


def capture_settings(data: Path, nats_url: str) -> CaptureSettings:
    return load_settings(
        CaptureSettings, env={}, camera=CAMERA, nats_url=nats_url, data_dir=data,
        latitude=52.0, longitude=5.0, capture_driver="simulator",
        capture_sim_start=datetime(2026, 1, 15, 23, 0, tzinfo=UTC), capture_sim_speed=100.0,
        capture_sim_clouds=0.0, capture_sim_focus_position=TRUE_FOCUS,
        capture_width=640, capture_height=480, capture_min_free_mb=0.0)


@pytest.mark.parametrize("start", [880, 1130])
async def test_autofocus_ends_near_true_focus(tmp_path: Path, nats_server, start):
    gpio = load_settings(GpioSettings, env={}, camera=CAMERA, nats_url=nats_server.url,
                         data_dir=tmp_path / "gpio", gpio_pin_factory="mock",
                         gpio_autofocus_settle_s=0)
    factory: MockFactory = mock_factory()
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(
            service_context("capture", capture_settings(tmp_path / "cap", nats_server.url),
                            serve_capture))
        ctx = await stack.enter_async_context(
            service_context("gpio", gpio, make_serve(factory)))
        bus: BusClient = ctx.bus
        await bus.request(focuser.CONFIGURE, {"driver": "a4988", "pins": [17, 27, 22],
                                              "speed": 5000, "backlash": 10}, camera=CAMERA)
        await bus.request(focuser.SYNC, {"position": start}, camera=CAMERA)

        reply = await bus.request(focuser.AUTOFOCUS, {"exposure_s": 10}, camera=CAMERA,
                                  timeout=300)

        assert reply.method == "hfr"
        assert abs(reply.best_position - TRUE_FOCUS) <= 12, reply
        assert len(reply.curve) >= 5
        status = await bus.request(focuser.STATUS, {}, camera=CAMERA)
        assert status.position == reply.best_position
        assert not status.moving
        assert status.autofocus and status.autofocus.curve
        # the sweep scored worse far from focus than at the best point
        scores = {p.position: p.score for p in reply.curve}
        nearest = min(scores, key=lambda p: abs(p - TRUE_FOCUS))
        farthest = max(scores, key=lambda p: abs(p - TRUE_FOCUS))
        assert scores[nearest] < scores[farthest]

"""The watchdog reopens a camera that hangs or keeps failing, and says so."""

from __future__ import annotations

import numpy as np
import pytest

from zenith.contracts import capture
from zenith.timefmt import utcnow
from zenith_capture.backends import register_driver, unregister_driver
from zenith_capture.backends.base import CameraDriver, DriverError, RawFrame

from .conftest import CAMERA, eventually, running_capture


def noise_frame() -> RawFrame:
    pixels = np.random.default_rng(0).integers(20, 60, (240, 320, 3), dtype=np.uint8)
    return RawFrame(pixels=pixels, taken_at=utcnow(), exposure_s=0.01, gain=1.0)


class HangsOnceDriver(CameraDriver):
    """Test driver: the first camera opened hangs in its first capture."""

    name = "hangs-once"
    opened = 0

    def open(self) -> None:
        type(self).opened += 1
        self.hang = type(self).opened == 1

    def capture(self, exposure_s: float, gain: float) -> RawFrame | None:
        if self.hang:
            self.wait(3600)  # until the watchdog aborts it
            return None
        return noise_frame()


class FailsDriver(CameraDriver):
    """Test driver: the first camera opened raises on every capture."""

    name = "fails"
    opened = 0

    def open(self) -> None:
        type(self).opened += 1
        self.broken = type(self).opened == 1

    def capture(self, exposure_s: float, gain: float) -> RawFrame | None:
        if self.broken:
            raise DriverError("sensor not responding")
        return noise_frame()


class NeverOpensDriver(CameraDriver):
    name = "never-opens"

    def open(self) -> None:
        raise DriverError("no camera on the bus")

    def capture(self, exposure_s: float, gain: float) -> RawFrame | None:
        raise AssertionError("never called")


@pytest.fixture
def driver_settings(make_settings):
    registered = []

    def make(cls, **overrides):
        cls.opened = 0
        register_driver(cls.name, cls)
        registered.append(cls.name)
        values = {"capture_driver": cls.name, "capture_auto_exposure": False,
                  "capture_exposure_s": 0.01, "capture_interval_s": 0.1,
                  "capture_timeout_s": 0.5, "capture_max_failures": 2,
                  "capture_backoff_max_s": 0.5}
        values.update(overrides)
        return make_settings(**values)

    yield make
    for name in registered:
        unregister_driver(name)


async def _watchdog_events(nc):
    got = []

    async def on_msg(msg):
        got.append(capture.Watchdog.model_validate_json(msg.data))

    await nc.subscribe(capture.WATCHDOG.subject_for(camera=CAMERA), cb=on_msg)
    return got


async def test_a_stalled_camera_is_restarted(driver_settings, nc, bus):
    events = await _watchdog_events(nc)
    async with running_capture(driver_settings(HangsOnceDriver)) as (_, app):
        await eventually(lambda: app.loop.frames >= 2, timeout=20)
        status = await bus.request(capture.STATUS, camera=CAMERA)
        assert status.state == "running" and status.restarts == 1
        assert HangsOnceDriver.opened == 2
    assert len(events) == 1
    assert events[0].reason == "timeout" and events[0].driver == "hangs-once"
    assert "stalled" in events[0].message and events[0].restarts == 1
    last = await nc.jetstream().get_last_msg("EVENTS",
                                             capture.WATCHDOG.subject_for(camera=CAMERA))
    assert capture.Watchdog.model_validate_json(last.data).reason == "timeout"


async def test_a_failing_camera_is_restarted(driver_settings, nc):
    events = await _watchdog_events(nc)
    async with running_capture(driver_settings(FailsDriver)) as (_, app):
        await eventually(lambda: app.loop.frames >= 1, timeout=20)
        assert app.host.restarts == 1
    assert [e.reason for e in events] == ["errors"]
    assert "sensor not responding" in events[0].message


async def test_a_camera_that_cannot_open_is_retried_with_a_clear_error(driver_settings, bus):
    async with running_capture(driver_settings(NeverOpensDriver)) as (_, app):
        status = await eventually(lambda: app.loop.state == "error" and app.loop.status())
        assert "no camera on the bus" in status.message
        reply = await bus.request(capture.STATUS, camera=CAMERA)
        assert reply.state == "error" and "retrying" in reply.message
        stopped = await bus.request(capture.STOP, camera=CAMERA, timeout=10)
        assert stopped.state == "stopped"

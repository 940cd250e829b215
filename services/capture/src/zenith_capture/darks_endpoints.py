"""``capture.DARKS_RECORD`` and ``capture.DARKS_LIST``.

A recording holds the camera for all its frames (the capture loop waits,
so no night frame is taken with the lens capped in between) and takes them
with the driver's :meth:`~zenith_capture.backends.base.CameraDriver.capture_dark`.
"""

from __future__ import annotations

from zenith.bus.service import BusService, Call
from zenith.contracts import capture
from zenith.contracts.base import Empty
from zenith.errors import Unavailable
from zenith_capture.backends.base import DriverError, RawFrame
from zenith_capture.darks import DarkLibrary
from zenith_capture.host import CaptureFailed, DriverHost
from zenith_capture.loop import CaptureLoop
from zenith_capture.settings import CaptureSettings
from zenith_capture.sim.clock import Clock


async def serve_darks(svc: BusService, library: DarkLibrary, host: DriverHost,
                      loop: CaptureLoop, settings: CaptureSettings, clock: Clock) -> None:
    async def record(call: Call[capture.DarksRecord]) -> capture.DarkDoc:
        req = call.body
        exposure = req.exposure_s or loop.exposure_s
        gain = req.gain or loop.gain
        timeout = clock.real_seconds(exposure) + settings.capture_timeout_s

        async def take() -> RawFrame:
            driver = host.driver
            if driver is None:
                raise Unavailable(f"camera unavailable: {host.last_error}",
                                  code="camera_unavailable")
            driver.arm()
            try:
                raw = await host.call(driver.capture_dark, exposure, gain, timeout=timeout)
            except CaptureFailed as exc:
                raise Unavailable(str(exc), code="camera_stalled") from None
            except DriverError as exc:
                raise Unavailable(exc.message, code=exc.code) from None
            if raw is None:
                raise Unavailable("the dark recording was interrupted", code="aborted")
            return raw

        async with host.lock:
            if not await host.ensure_open():
                raise Unavailable(f"camera unavailable: {host.last_error}",
                                  code="camera_unavailable")
            return await library.record(take, req.frames)

    async def list_darks(call: Call[Empty]) -> capture.Darks:
        return library.list()

    await svc.serve(capture.DARKS_RECORD, record, concurrent=True)
    await svc.serve(capture.DARKS_LIST, list_darks)

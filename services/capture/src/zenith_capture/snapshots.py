"""Snapshots (``capture.snapshot``): a frame now, never at the night's cost.

While the capture loop runs, a snapshot is its latest saved frame, with
that frame's focus metrics: no exposure, no wait behind the loop's own
(a viewer's page shows a frame within a second at any time of night). A new
exposure is taken only when the loop is stopped, or when the caller asks
for one (``fresh``; the web service allows it to focuser-permission
holders and autofocus asks for it). New exposures run one at a time: at most
:data:`~zenith.contracts.capture.SNAPSHOT_QUEUE` are in hand (one exposing,
the others waiting); one more is refused with 429 and ``retry_after``. An
exposure beyond ``capture_snapshot_max_exposure_s`` is refused with 400.
"""

from __future__ import annotations

import asyncio
import base64
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from zenith.contracts import capture
from zenith.errors import BadRequest, TooManyRequests, Unavailable
from zenith.imaging.decode import image_from_array
from zenith.imaging.encode import encode_jpeg_limited
from zenith.imaging.stretch import to_display
from zenith_capture.backends.base import DriverError, RawFrame
from zenith_capture.host import CaptureFailed, DriverHost
from zenith_capture.loop import CaptureLoop
from zenith_capture.settings import CaptureSettings
from zenith_capture.sim.clock import Clock
from zenith_capture.skymetrics import SkyMeter

JSON_OVERHEAD = 4096  # room for the other reply fields


@dataclass
class Snapshots:
    settings: CaptureSettings
    loop: CaptureLoop
    host: DriverHost
    meter: SkyMeter
    clock: Clock
    focus_position: Callable[[], int | None]
    max_payload: int
    _exposing: asyncio.Lock = field(default_factory=asyncio.Lock)
    _in_hand: int = 0
    _metrics: tuple[int, capture.SnapshotReply] | None = None  # (id of the frame, reply)

    async def take(self, req: capture.Snapshot) -> capture.SnapshotReply:
        if self.loop.running and not req.fresh:
            return await self._encode(await self._latest(), req, latest=True)
        limit = self.settings.capture_snapshot_max_exposure_s
        if req.exposure_s is not None and req.exposure_s > limit:
            raise BadRequest(f"exposure_s {req.exposure_s:g} is above the snapshot limit "
                             f"{limit:g} s (capture_snapshot_max_exposure_s)",
                             code="exposure_too_long")
        return await self._encode(await self._expose(req), req, latest=False)

    async def _latest(self) -> RawFrame:
        """The loop's latest frame; just after a start, wait for its first one."""
        if self.loop.latest is None:
            saved = self.loop.frame_saved
            wait = self.clock.real_seconds(self.loop.exposure_s) + capture.LATEST_WAIT_S
            try:
                await asyncio.wait_for(saved.wait(), wait)
            except TimeoutError:
                pass
        if self.loop.latest is None:
            raise Unavailable("the capture loop has not saved a frame yet; try again "
                              "shortly", code="no_frame_yet",
                              details={"retry_after": max(1, math.ceil(self.loop.exposure_s))})
        return self.loop.latest

    async def _expose(self, req: capture.Snapshot) -> RawFrame:
        exposure = req.exposure_s or self.loop.exposure_s
        if self._in_hand >= capture.SNAPSHOT_QUEUE:
            raise TooManyRequests("another snapshot is exposing; try again shortly",
                                  code="snapshot_busy",
                                  details={"retry_after": max(1, math.ceil(exposure))})
        self._in_hand += 1
        try:
            async with self._exposing:
                return await self._exposure(exposure)
        finally:
            self._in_hand -= 1

    async def _exposure(self, exposure: float) -> RawFrame:
        host = self.host
        # behind the loop's exposure (or a dark being recorded): a bounded wait, then 429
        wait = self.clock.real_seconds(self.loop.exposure_s) + capture.LATEST_WAIT_S
        try:
            await asyncio.wait_for(host.lock.acquire(), wait)
        except TimeoutError:
            raise TooManyRequests("the camera is busy; try again shortly", code="camera_busy",
                                  details={"retry_after": max(1, math.ceil(wait))}) from None
        try:
            if not await host.ensure_open():
                raise Unavailable(f"camera unavailable: {host.last_error}",
                                  code="camera_unavailable")
            driver = host.driver
            assert driver is not None
            driver.arm()
            timeout = self.clock.real_seconds(exposure) + self.settings.capture_timeout_s
            try:
                return await host.call(driver.snapshot, exposure, self.loop.gain,
                                       timeout=timeout)
            except CaptureFailed as exc:
                raise Unavailable(str(exc), code="camera_stalled") from None
            except DriverError as exc:
                raise Unavailable(exc.message, code=exc.code) from None
        finally:
            host.lock.release()

    async def _encode(self, raw: RawFrame, req: capture.Snapshot,
                      latest: bool) -> capture.SnapshotReply:
        image = image_from_array(raw.pixels, raw.bit_depth)
        cached = self._metrics
        if latest and cached is not None and cached[0] == id(raw):
            reply = cached[1].model_copy()
        else:
            metrics = await asyncio.to_thread(self.meter.focus, image)
            reply = capture.SnapshotReply(
                camera=self.settings.camera, taken_at=raw.taken_at, width=image.width,
                height=image.height, exposure_s=raw.exposure_s, gain=raw.gain,
                focus_position=raw.focus_position if raw.focus_position is not None
                else self.focus_position(),
                hfr=None if metrics.hfr is None else round(metrics.hfr, 3),
                stars=metrics.stars, sharpness=round(metrics.sharpness, 3), latest=latest)
            if latest:
                self._metrics = (id(raw), reply.model_copy())
        if req.image:
            budget = (self.max_payload - JSON_OVERHEAD) * 3 // 4
            picture = to_display(image, auto_stretch=self.settings.capture_auto_stretch)
            jpeg, _, _ = await asyncio.to_thread(
                encode_jpeg_limited, picture, budget, quality=req.quality,
                max_width=req.max_width)
            reply.image_b64 = base64.b64encode(jpeg).decode("ascii")
        return reply

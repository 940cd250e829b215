"""The capture loop: when to take a frame, with what exposure, and its state.

States (``capture.Status.state``): ``starting`` (opening the camera),
``running``, ``paused`` (the disk is nearly full: nothing is captured or
saved until ``capture_min_free_mb`` is free again; a folder's files wait
where they are), ``error`` (the camera or its folder is unavailable; it is
retried with backoff) and ``stopped``. Every change is published as
``capture.STATUS_EVENT``; while running, a status is also published at
most every :data:`STATUS_EVERY_S` seconds.

Frames start every ``capture_interval_s`` (``capture_day_interval_s`` by
day) on the driver's clock, which for the simulator is the simulated one.
Day or night follows the sun's altitude at that clock's time. A bad input
frame is logged, counted and skipped; nothing here ends the loop but stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from zenith.contracts import capture
from zenith.errors import ZenithError
from zenith.imaging.decode import ImageError
from zenith.timefmt import utcnow
from zenith_capture.astro import Site, is_night, night_of, sun_altitude
from zenith_capture.backends.base import FrameRejected, RawFrame
from zenith_capture.exposure import AutoExposure, Limits
from zenith_capture.host import CaptureFailed, DriverHost
from zenith_capture.ingest import IngestLedger
from zenith_capture.pipeline import FrameContext, FrameProcessor
from zenith_capture.settings import CaptureSettings
from zenith_capture.sim.clock import Clock
from zenith_capture.state import CaptureState
from zenith_capture.telemetry import (
    EXPOSURE,
    FRAMES_SAVED,
    GAIN,
    PROCESS_SECONDS,
    REJECTED,
    SUN_ALTITUDE,
)

log = logging.getLogger("zenith.capture")

STATUS_EVERY_S = 10.0
ERROR_RETRY_S = 5.0
PAUSED_POLL_S = 5.0
STOP_WAIT_S = 2.5  # a stop answers within a request timeout even if the camera hangs


class CaptureLoop:
    def __init__(self, settings: CaptureSettings, host: DriverHost, processor: FrameProcessor,
                 state: CaptureState, clock: Clock, free_bytes: Callable[[], int],
                 publish_status: Callable[[capture.Status], Awaitable[Any]],
                 ledger: IngestLedger | None = None,
                 on_frame: Callable[[datetime], Awaitable[None]] | None = None) -> None:
        self.settings = settings
        self.host = host
        self.processor = processor
        self.state_store = state
        self.clock = clock
        self.free_bytes = free_bytes
        self.publish_status = publish_status
        self.ledger = ledger
        self.on_frame = on_frame
        self.site = Site(settings.latitude, settings.longitude, settings.elevation)
        self.auto = AutoExposure()
        self.min_free_mb = settings.capture_min_free_mb
        self.exposure_s = settings.capture_exposure_s
        self.gain = max(settings.capture_gain, settings.capture_min_gain)
        self.state: capture.CaptureState = "stopped"
        self.message = ""
        self.frames = 0
        self.rejected = 0
        self.started_at: datetime | None = None
        self._started_mono = 0.0
        self.last_frame_at: datetime | None = None
        self.night: str | None = None
        self.sun_alt: float | None = None
        self.is_night: bool | None = None
        self.free_mb: float | None = None
        self._sizes: dict[str, tuple[int, int]] = {}
        self.latest: RawFrame | None = None  # the last frame saved (snapshots serve it)
        self.frame_saved = asyncio.Event()  # set at every saved frame
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._last_status = 0.0

    # -- control -----------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self.running:
            return
        self._stop = asyncio.Event()
        self.frames = self.rejected = 0
        self.started_at = utcnow()
        self._started_mono = time.monotonic()
        await self._set_state("starting", "opening the camera")
        self._task = asyncio.create_task(self._run(), name="capture-loop")

    async def stop(self, message: str = "") -> None:
        self._stop.set()
        self.host.abort()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_WAIT_S)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self.started_at = None
        await self._set_state("stopped", message)

    def first_guess(self) -> None:
        """A starting exposure for auto exposure with nothing saved: short by
        day (the sky is bright), long at night."""
        night = is_night(sun_altitude(self.site, self.clock.now()),
                         self.settings.capture_night_sun_altitude)
        limits = self.limits(night)
        exposure = limits.max_exposure_s / 2 if night else limits.min_exposure_s * 4
        self.exposure_s, self.gain = limits.clamp(exposure, limits.min_gain)

    # -- status ------------------------------------------------------------
    def limits(self, night: bool) -> Limits:
        s = self.settings
        if night:
            return Limits(s.capture_night_min_exposure_s, s.capture_night_max_exposure_s,
                          s.capture_min_gain, s.capture_night_max_gain)
        return Limits(s.capture_day_min_exposure_s, s.capture_day_max_exposure_s,
                      s.capture_min_gain, s.capture_day_max_gain)

    def interval_s(self, night: bool | None) -> float:
        return self.settings.capture_interval_s if night or night is None \
            else self.settings.day_interval_s

    def status(self) -> capture.Status:
        controls = self.host.driver is None or self.host.driver.controls_exposure
        return capture.Status(
            camera=self.settings.camera, state=self.state, driver=self.host.driver_name,
            message=self.message, started_at=self.started_at,
            uptime_s=round(time.monotonic() - self._started_mono, 3) if self.started_at else 0.0,
            last_frame_at=self.last_frame_at, frames=self.frames,
            exposure_s=self.exposure_s if controls else None,
            gain=self.gain if controls else None,
            day_or_night=None if self.is_night is None else ("night" if self.is_night else "day"),
            sun_altitude=None if self.sun_alt is None else round(self.sun_alt, 3),
            interval_s=self.interval_s(self.is_night), night=self.night,
            rejected=self.rejected, restarts=self.host.restarts,
            free_mb=None if self.free_mb is None else round(self.free_mb, 1))

    async def announce(self, state: capture.CaptureState, message: str = "") -> None:
        """Set and publish a state now."""
        await self._set_state(state, message, force=True)

    async def _set_state(self, state: capture.CaptureState, message: str = "",
                         force: bool = False) -> None:
        changed = state != self.state or message != self.message
        self.state, self.message = state, message
        now = time.monotonic()
        if changed or force or now - self._last_status >= STATUS_EVERY_S:
            self._last_status = now
            if changed:
                log.info("capture %s%s", state, f": {message}" if message else "")
            await self.publish_status(self.status())

    # -- the loop ----------------------------------------------------------
    async def _sleep(self, seconds: float) -> None:
        if seconds <= 0 or self._stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("capture loop error")
                await self._set_state("error", f"unexpected error: {type(exc).__name__}: {exc}")
                await self._sleep(ERROR_RETRY_S)

    def _disk_ok(self) -> bool:
        try:
            free = self.free_bytes()
        except OSError as exc:
            log.warning("cannot read free disk space: %s", exc)
            return True
        self.free_mb = free / 1e6
        return self.free_mb >= self.min_free_mb

    async def _tick(self) -> None:
        host = self.host
        if not host.is_open:
            async with host.lock:
                opened = await host.ensure_open()
            if not opened:
                await self._set_state("error", f"camera unavailable: {host.last_error}; "
                                      f"retrying in {host.wait_s():.0f}s")
                await self._sleep(max(0.2, min(host.wait_s(), 5.0)))
                return
        if not self._disk_ok():
            await self._set_state(
                "paused", f"disk nearly full: {self.free_mb:.0f} MB free, below "
                f"capture_min_free_mb ({self.min_free_mb:g} MB); saving paused until "
                "space is freed")
            await self._sleep(PAUSED_POLL_S)
            return
        if self.state == "paused":  # space was freed: say so before the next frame lands
            await self._set_state("running", "disk space freed; saving again")
        driver = host.driver
        assert driver is not None
        now = self.clock.now()
        self.sun_alt = sun_altitude(self.site, now)
        self.is_night = is_night(self.sun_alt, self.settings.capture_night_sun_altitude)
        if driver.controls_exposure:
            self.exposure_s, self.gain = self.limits(self.is_night).clamp(self.exposure_s,
                                                                          self.gain)
        try:
            async with host.lock:
                raw = await host.capture(self.exposure_s, self.gain,
                                         self.clock.real_seconds(self.exposure_s))
        except FrameRejected as rej:
            await self._reject(rej)
            return
        except CaptureFailed as exc:
            await self._set_state("error", f"capture failed: {exc}")
            await self._sleep(min(ERROR_RETRY_S, self.clock.real_seconds(
                self.interval_s(self.is_night))))
            return
        if raw is None:
            if driver.paced_by_source:
                if self.state != "running":
                    await self._set_state("running", "waiting for new images")
                await self._sleep(self.settings.capture_folder_poll_s)
            return
        await self._process(raw)
        if not driver.paced_by_source:
            due = (now - self.clock.now()).total_seconds() + self.interval_s(self.is_night)
            await self._sleep(self.clock.real_seconds(due))

    async def _reject(self, rej: FrameRejected) -> None:
        REJECTED.labels(rej.reason).inc()
        self.rejected += 1
        log.warning("frame rejected (%s): %s", rej.reason, rej.message)
        if rej.source is not None:
            if self.host.driver is not None:
                self.host.driver.mark_done(rej.source, rej.signature)
            if self.ledger is not None:
                await self.ledger.record(rej.source, rej.signature, status="rejected",
                                         reason=rej.reason)
        await self._set_state(self.state if self.state != "starting" else "running",
                              self.message, force=True)

    async def _process(self, raw: RawFrame) -> None:
        started = time.monotonic()
        sun = sun_altitude(self.site, raw.taken_at)
        night = is_night(sun, self.settings.capture_night_sun_altitude)
        night_date = night_of(raw.taken_at, self.settings.longitude, night)
        size = (int(raw.pixels.shape[1]), int(raw.pixels.shape[0]))
        expected = self._sizes.get(night_date)
        try:
            if expected is not None and expected != size:
                raise FrameRejected(
                    "wrong_size", f"{raw.source or 'frame'} is {size[0]}x{size[1]}, the night "
                    f"{night_date} is {expected[0]}x{expected[1]}", raw.source, raw.signature)
            if raw.digest and self.ledger is not None:
                same = await self.ledger.duplicate_of(raw.digest)
                if same is not None and same != raw.source:
                    raise FrameRejected("duplicate", f"{raw.source} has the same content as "
                                        f"{same}, ingested before", raw.source, raw.signature)
            ctx = FrameContext(sun_altitude=sun, is_night=night, night=night_date)
            try:
                done = await asyncio.to_thread(self.processor.analyse, raw, ctx)
            except ImageError as exc:
                raise FrameRejected("corrupt", exc.message, raw.source, raw.signature) from None
            try:
                event = await self.processor.save(raw, done, ctx)
            except (OSError, ZenithError) as exc:
                raise FrameRejected("storage", f"could not save the frame: {exc}", raw.source,
                                    raw.signature) from None
        except FrameRejected as rej:
            await self._reject(rej)
            return
        PROCESS_SECONDS.observe(time.monotonic() - started)
        self._sizes = {night_date: size}
        if raw.source is not None:
            if self.host.driver is not None:
                self.host.driver.mark_done(raw.source, raw.signature)
            if self.ledger is not None:
                await self.ledger.record(raw.source, raw.signature, status="ingested",
                                         digest=raw.digest, frame_id=event.frame_id)
        FRAMES_SAVED.labels(self.settings.camera).inc()
        self.frames += 1
        self.last_frame_at = raw.taken_at
        self.latest = raw
        self.frame_saved.set()
        self.frame_saved = asyncio.Event()
        self.night = night_date
        self.sun_alt, self.is_night = sun, night
        SUN_ALTITUDE.labels(self.settings.camera).set(sun)
        driver = self.host.driver
        if driver is not None and driver.controls_exposure:
            EXPOSURE.labels(self.settings.camera).set(raw.exposure_s)
            GAIN.labels(self.settings.camera).set(raw.gain)
            if self.settings.capture_auto_exposure:
                await self._adjust(done.metrics.mean, night)
        if self.on_frame is not None:
            await self.on_frame(raw.taken_at)
        await self._set_state("running", "")

    async def _adjust(self, mean: float, night: bool) -> None:
        s = self.settings
        target = (s.capture_night_target_brightness or s.capture_target_brightness) if night \
            else s.capture_target_brightness
        exposure, gain = self.auto.next(self.exposure_s, self.gain, mean, target,
                                        self.limits(night))
        if (exposure, gain) != (self.exposure_s, self.gain):
            self.exposure_s, self.gain = exposure, gain
            try:
                await self.state_store.set_exposure(exposure, gain)
            except Exception as exc:
                log.warning("could not save the exposure state: %s", exc)

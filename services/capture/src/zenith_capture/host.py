"""The watchdog around one camera driver.

Every driver call runs in the driver's own daemon worker thread, so a
camera that hangs blocks neither the service nor its exit. A capture that
takes longer than its exposure plus ``capture_timeout_s``, or
``capture_max_failures`` failed captures in a row, make the watchdog
abandon the driver (it is asked to abort and to close), publish
``capture.WATCHDOG`` on ``zenith.events.<camera>.watchdog`` and open a
fresh one after a pause that doubles up to ``capture_backoff_max_s``.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, Literal, TypeVar

from zenith.contracts import capture
from zenith.retry import Backoff
from zenith.timefmt import utcnow
from zenith_capture.backends.base import (
    CameraDriver,
    DriverError,
    FrameRejected,
    RawFrame,
)
from zenith_capture.settings import CaptureSettings
from zenith_capture.telemetry import WATCHDOG_RESTARTS

log = logging.getLogger("zenith.capture")
T = TypeVar("T")
FIRST_BACKOFF_S = 1.0
CLOSE_TIMEOUT_S = 2.5


class CaptureFailed(Exception):
    """A capture did not deliver; the message says why (the loop shows it)."""


class Worker:
    """One daemon thread running calls in order."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = \
            queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, fut = job
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn())
            except BaseException as exc:
                fut.set_exception(exc)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        fut: Future[T] = Future()
        self._jobs.put((lambda: fn(*args), fut))
        return await asyncio.wrap_future(fut)

    def stop(self) -> None:
        self._jobs.put(None)


Publish = Callable[[capture.Watchdog], Awaitable[Any]]


class DriverHost:
    def __init__(self, settings: CaptureSettings, factory: Callable[[], CameraDriver],
                 driver_name: str, publish: Publish) -> None:
        self.settings = settings
        self.factory = factory
        self.driver_name = driver_name
        self.publish = publish
        self.driver: CameraDriver | None = None
        self.worker: Worker | None = None
        self.lock = asyncio.Lock()
        self.failures = 0
        self.restarts = 0
        self.backoff = Backoff(FIRST_BACKOFF_S, settings.capture_backoff_max_s)
        self.next_open = 0.0
        self.last_error = ""
        self.on_open: Callable[[CameraDriver], Awaitable[None]] | None = None

    @property
    def is_open(self) -> bool:
        return self.driver is not None

    def wait_s(self) -> float:
        """Seconds until the next attempt to open the camera."""
        return max(0.0, self.next_open - time.monotonic())

    async def ensure_open(self) -> bool:
        """Open the camera if needed; False (with ``last_error``) when it fails."""
        if self.driver is not None:
            return True
        if time.monotonic() < self.next_open:
            return False
        worker = Worker(f"camera-{self.driver_name}")
        try:
            driver = self.factory()
            await asyncio.wait_for(worker.call(driver.open), self.settings.capture_timeout_s)
            if self.on_open is not None:
                await self.on_open(driver)
        except Exception as exc:
            worker.stop()
            self.last_error = _describe(exc)
            delay = self.backoff.next()
            self.next_open = time.monotonic() + delay
            log.error("cannot open the %s camera: %s (next try in %.0fs)", self.driver_name,
                      self.last_error, delay)
            return False
        self.driver, self.worker = driver, worker
        self.last_error = ""
        log.info("%s camera open", self.driver_name)
        return True

    async def call(self, fn: Callable[..., T], *args: Any, timeout: float) -> T:
        """Run a driver method in its thread, with the watchdog's time limit."""
        assert self.worker is not None
        try:
            return await asyncio.wait_for(self.worker.call(fn, *args), timeout)
        except TimeoutError:
            message = f"no frame after {timeout:.0f}s: the camera stalled"
            await self.restart("timeout", message)
            raise CaptureFailed(message) from None

    async def capture(self, exposure_s: float, gain: float, clock_real_s: float
                      ) -> RawFrame | None:
        """One frame (None: none ready); FrameRejected for a bad input,
        CaptureFailed when the camera failed (the watchdog has acted)."""
        if self.driver is None:
            raise CaptureFailed(self.last_error or "the camera is not open")
        driver = self.driver
        driver.arm()
        timeout = clock_real_s + self.settings.capture_timeout_s
        try:
            frame = await self.call(driver.capture, exposure_s, gain, timeout=timeout)
        except (CaptureFailed, FrameRejected):
            raise
        except Exception as exc:
            self.failures += 1
            self.last_error = _describe(exc)
            log.warning("capture failed (%d in a row): %s", self.failures, self.last_error)
            if self.failures >= self.settings.capture_max_failures:
                await self.restart("errors", f"{self.failures} failed captures in a row: "
                                   f"{self.last_error}")
            raise CaptureFailed(self.last_error) from None
        self.failures = 0
        self.backoff.reset()
        return frame

    async def restart(self, reason: Literal["timeout", "errors", "open_failed"],
                      message: str) -> None:
        """Abandon the driver and schedule a fresh one (with backoff)."""
        self.restarts += 1
        self.failures = 0
        self.last_error = message
        WATCHDOG_RESTARTS.labels(reason).inc()
        delay = self.backoff.next()
        self.next_open = time.monotonic() + delay
        log.warning("watchdog: %s; reopening the %s camera in %.0fs", message,
                    self.driver_name, delay)
        await self.close()
        await self.publish(capture.Watchdog(
            camera=self.settings.camera, at=utcnow(), driver=self.driver_name, reason=reason,
            message=message, restarts=self.restarts, retry_in_s=delay))

    async def close(self) -> None:
        """Abort what the driver is doing, close it, let its thread go."""
        driver, worker = self.driver, self.worker
        self.driver = self.worker = None
        if driver is None or worker is None:
            return
        try:
            driver.abort()
        except Exception:
            log.exception("driver abort failed")
        try:
            await asyncio.wait_for(worker.call(driver.close), CLOSE_TIMEOUT_S)
        except TimeoutError:
            log.warning("the %s driver did not close in time; abandoning it", self.driver_name)
        except Exception as exc:
            log.warning("closing the %s driver failed: %s", self.driver_name, _describe(exc))
        worker.stop()

    def abort(self) -> None:
        """End a capture in progress (from the event loop; thread-safe)."""
        if self.driver is not None:
            self.driver.abort()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, DriverError):
        return exc.message
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

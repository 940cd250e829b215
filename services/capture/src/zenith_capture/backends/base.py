"""The camera driver interface every backend implements.

A driver is synchronous: the capture loop runs each call in the driver's
own worker thread, with a time limit (the watchdog). A subclass must
implement :meth:`CameraDriver.capture`; it may override :meth:`open`,
:meth:`close`, :meth:`abort`, :meth:`snapshot`, :meth:`capture_dark`, and for drivers that
ingest files :meth:`skip_known` and :meth:`mark_done`.

Errors: raise :class:`DriverError` when the camera fails (counted; after
``capture_max_failures`` in a row the watchdog reopens it) and
:class:`FrameRejected` for one bad input that should be skipped (a corrupt
file), which is logged and counted and never restarts anything.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import numpy as np

from zenith.errors import BadRequest, Unavailable
from zenith_capture.settings import CaptureSettings
from zenith_capture.sim.clock import Clock


class DriverError(Unavailable):
    """The camera cannot deliver (not found, disconnected, failed)."""

    default_code = "camera_error"


class FrameRejected(BadRequest):
    """One input frame is unusable; ``reason`` labels the rejection counter."""

    default_code = "frame_rejected"

    def __init__(self, reason: str, message: str, source: str | None = None,
                 signature: tuple[int, int] | None = None) -> None:
        super().__init__(message, code="frame_rejected")
        self.reason = reason
        self.source = source
        self.signature = signature


@dataclass
class RawFrame:
    """What a driver returns: pixels and what is known about them."""

    pixels: np.ndarray
    taken_at: datetime
    exposure_s: float = 0.0  # 0: unknown (files from another program)
    gain: float = 0.0
    bit_depth: int | None = None  # significant bits; None: inferred from the data
    focus_position: int | None = None
    source: str | None = None  # a file's path relative to the watched folder
    signature: tuple[int, int] | None = None  # (size, mtime_ns) of that file
    digest: str | None = None  # sha256 of the file
    encoded: bytes | None = None  # the original JPEG, stored as is when possible
    temperature_c: float | None = None  # sensor temperature, when the camera says


@dataclass
class DriverContext:
    settings: CaptureSettings
    camera: str
    clock: Clock
    focus: Callable[[], int | None] = lambda: None


class CameraDriver(abc.ABC):
    name: ClassVar[str] = "driver"
    controls_exposure: ClassVar[bool] = True
    """Whether exposure and gain requests are honoured (auto exposure)."""
    paced_by_source: ClassVar[bool] = False
    """Frames arrive when another program writes them (poll, do not schedule)."""

    def __init__(self, context: DriverContext) -> None:
        self.context = context
        self.settings = context.settings
        self._abort = threading.Event()

    @property
    def clock(self) -> Clock:
        return self.context.clock

    def open(self) -> None:
        """Connect to the camera; raise DriverError when it is not there."""
        return None

    @abc.abstractmethod
    def capture(self, exposure_s: float, gain: float) -> RawFrame | None:
        """Take (or fetch) the next frame; None when none is ready yet."""

    def snapshot(self, exposure_s: float, gain: float) -> RawFrame:
        """A frame for a preview or for focusing; nothing is consumed."""
        frame = self.capture(exposure_s, gain)
        if frame is None:
            raise DriverError(f"the {self.name} camera has no frame to show yet",
                              code="no_frame")
        return frame

    def capture_dark(self, exposure_s: float, gain: float) -> RawFrame | None:
        """A frame for the dark library: the owner has capped the lens, so by
        default a normal capture. A driver that can shut the light out itself
        (the simulator) overrides this."""
        return self.capture(exposure_s, gain)

    def abort(self) -> None:
        """Called from another thread: end a capture in progress early."""
        self._abort.set()

    def close(self) -> None:
        """Release the camera."""
        return None

    def skip_known(self, done: Mapping[str, tuple[int, int]]) -> None:
        """Sources handled before (path -> (size, mtime_ns)): do not deliver them."""
        return None

    def mark_done(self, source: str, signature: tuple[int, int] | None) -> None:
        """A delivered source was saved or rejected: do not deliver it again."""
        return None

    def arm(self) -> None:
        """Clear an earlier abort before the next call."""
        self._abort.clear()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` real seconds; True when aborted."""
        return self._abort.wait(max(0.0, seconds))

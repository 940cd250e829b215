"""``opencv``: a USB (UVC) or V4L2 camera through ``cv2.VideoCapture``.

``capture_opencv_device`` is an index (``0``) or a device path
(``/dev/video0``). Exposure is set in V4L2 units (100 µs) with the camera's
auto exposure off, gain as the device's raw gain value; cameras that ignore
them still deliver frames (auto exposure then only reports the level).
A few frames are read and dropped before each capture so the frame is
fresh, not one from the driver's buffer.
"""

from __future__ import annotations

from typing import Any

from zenith.timefmt import utcnow
from zenith_capture.backends.base import CameraDriver, DriverError, RawFrame

FLUSH_FRAMES = 3


class OpenCVDriver(CameraDriver):
    name = "opencv"

    _cap: Any = None
    _applied: tuple[float, float] | None = None

    def open(self) -> None:
        import cv2

        device = self.settings.capture_opencv_device.strip()
        target: int | str = int(device) if device.isdigit() else device
        cap = cv2.VideoCapture(target)
        if not cap.isOpened():
            cap.release()
            raise DriverError(f"cannot open video device {device!r} "
                              "(ZENITH_CAPTURE_OPENCV_DEVICE)", code="camera_not_found")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.settings.capture_width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.settings.capture_height)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap = cap
        self._applied = None

    def _apply(self, exposure_s: float, gain: float) -> None:
        import cv2

        if self._applied == (exposure_s, gain):
            return
        self._cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, 1)  # V4L2: 1 = manual
        self._cap.set(cv2.CAP_PROP_EXPOSURE, max(1.0, exposure_s * 10000.0))
        self._cap.set(cv2.CAP_PROP_GAIN, gain)
        self._applied = (exposure_s, gain)

    def capture(self, exposure_s: float, gain: float) -> RawFrame | None:
        if self._cap is None:
            self.open()
        self._apply(exposure_s, gain)
        for _ in range(FLUSH_FRAMES):
            self._cap.grab()
        taken_at = utcnow()
        ok, frame = self._cap.read()
        if not ok or frame is None:
            raise DriverError("the video device returned no frame", code="capture_failed")
        return RawFrame(pixels=frame, taken_at=taken_at, exposure_s=exposure_s, gain=gain,
                        focus_position=self.context.focus())

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

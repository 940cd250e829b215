"""The lens model from the settings (shared by the simulator and the metrics)."""

from __future__ import annotations

from zenith.imaging.geometry import Fisheye
from zenith_capture.settings import CaptureSettings


def lens_for(settings: CaptureSettings, width: int, height: int) -> Fisheye:
    """The configured fisheye for a frame of this size (centred by default)."""
    base = Fisheye.centered(width, height, settings.capture_lens_radius)
    return Fisheye(
        cx=settings.capture_lens_cx if settings.capture_lens_cx is not None else base.cx,
        cy=settings.capture_lens_cy if settings.capture_lens_cy is not None else base.cy,
        radius=base.radius,
        fov_deg=settings.capture_lens_fov_deg,
        north_deg=settings.capture_lens_north_deg,
        east_left=settings.capture_lens_east_left,
    )

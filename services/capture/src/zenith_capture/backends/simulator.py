"""``simulator``: a simulated all-sky camera (the development default).

Frames come from :class:`~zenith_capture.sim.render.SkyRenderer` for the
configured site at the simulated clock's time (``capture_sim_start``,
``capture_sim_speed``). An exposure takes its time on that clock (30 s at
speed 600 is 50 ms). The focus follows the focuser's position events.
"""

from __future__ import annotations

import time

from zenith_capture.astro import Site
from zenith_capture.backends.base import CameraDriver, RawFrame
from zenith_capture.lens import lens_for
from zenith_capture.settings import CaptureSettings
from zenith_capture.sim.render import SimConfig, SkyRenderer


def sim_config(s: CaptureSettings) -> SimConfig:
    return SimConfig(
        site=Site(s.latitude, s.longitude, s.elevation),
        width=s.capture_width, height=s.capture_height,
        bit_depth=s.capture_sim_bit_depth, seed=s.capture_sim_seed,
        zero_point=s.capture_sqm_zero_point, sky_mag=s.capture_sim_sky_mag,
        clouds=s.capture_sim_clouds, seeing_px=s.capture_sim_seeing_px,
        blur_per_step=s.capture_sim_blur_per_step, true_focus=s.capture_sim_focus_position,
        meteor_rate=s.capture_sim_meteor_rate, hot_pixels=s.capture_sim_hot_pixels,
        faint_stars=s.capture_sim_faint_stars,
        lens=lens_for(s, s.capture_width, s.capture_height),
    )


class SimulatorDriver(CameraDriver):
    name = "simulator"

    renderer: SkyRenderer | None = None

    def open(self) -> None:
        self.renderer = SkyRenderer(sim_config(self.settings))

    def capture(self, exposure_s: float, gain: float) -> RawFrame | None:
        return self._take(exposure_s, gain, dark=False)

    def capture_dark(self, exposure_s: float, gain: float) -> RawFrame | None:
        """The lens capped: only the sensor (hot pixels, noise)."""
        return self._take(exposure_s, gain, dark=True)

    def _take(self, exposure_s: float, gain: float, dark: bool) -> RawFrame | None:
        if self.renderer is None:
            self.open()
        assert self.renderer is not None
        started = time.monotonic()
        taken_at = self.clock.now()
        focus = self.context.focus()
        pixels = self.renderer.render(taken_at, exposure_s, gain, focus, dark=dark)
        # the exposure lasts its (simulated) time
        remaining = self.clock.real_seconds(exposure_s) - (time.monotonic() - started)
        if remaining > 0 and self.wait(remaining):
            return None
        return RawFrame(pixels=pixels, taken_at=taken_at, exposure_s=exposure_s, gain=gain,
                        bit_depth=self.settings.capture_sim_bit_depth, focus_position=focus)

    def close(self) -> None:
        self.renderer = None

"""``rpicam``: a Raspberry Pi camera through ``rpicam-still`` (libcamera).

Each frame runs ``rpicam-still -n --immediate --shutter <µs> --gain <g>
--width W --height H -o <temp>.png`` plus ``capture_rpicam_args`` and reads
the file back. The program comes with Raspberry Pi OS (``sudo apt install
rpicam-apps``); ``capture_rpicam_binary`` names another one (for example
the older ``libcamera-still``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from zenith.imaging.decode import ImageError, read_image
from zenith.timefmt import utcnow
from zenith_capture.backends.base import CameraDriver, DriverError, RawFrame


class RpicamDriver(CameraDriver):
    name = "rpicam"

    binary: str = ""

    def open(self) -> None:
        wanted = self.settings.capture_rpicam_binary
        found = shutil.which(wanted)
        if found is None:
            raise DriverError(
                f"{wanted} was not found: install it (sudo apt install rpicam-apps) or set "
                "ZENITH_CAPTURE_RPICAM_BINARY to the still-capture program",
                code="camera_not_found")
        self.binary = found

    def command(self, exposure_s: float, gain: float, output: Path) -> list[str]:
        s = self.settings
        return [self.binary, "-n", "--immediate",
                "--shutter", str(max(1, round(exposure_s * 1_000_000))),
                "--gain", f"{gain:g}",
                "--width", str(s.capture_width), "--height", str(s.capture_height),
                "--encoding", "png", "-o", str(output), *s.capture_rpicam_args]

    def capture(self, exposure_s: float, gain: float) -> RawFrame | None:
        if not self.binary:
            self.open()
        with tempfile.TemporaryDirectory(prefix="zenith-rpicam-") as tmp:
            output = Path(tmp) / "frame.png"
            taken_at = utcnow()
            try:
                done = subprocess.run(
                    self.command(exposure_s, gain, output), capture_output=True,
                    timeout=exposure_s + self.settings.capture_timeout_s, check=False)
            except subprocess.TimeoutExpired:
                raise DriverError(f"{self.binary} did not finish in time",
                                  code="capture_failed") from None
            except OSError as exc:
                raise DriverError(f"cannot run {self.binary}: {exc.strerror}",
                                  code="capture_failed") from None
            if done.returncode != 0:
                tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
                raise DriverError(f"{Path(self.binary).name} failed ({done.returncode}): "
                                  + " | ".join(tail), code="capture_failed")
            try:
                image = read_image(output)
            except ImageError as exc:
                raise DriverError(f"{Path(self.binary).name} wrote no usable image: "
                                  f"{exc.message}", code="capture_failed") from None
        return RawFrame(pixels=image.pixels, taken_at=taken_at, exposure_s=exposure_s,
                        gain=gain, bit_depth=image.bit_depth,
                        focus_position=self.context.focus())

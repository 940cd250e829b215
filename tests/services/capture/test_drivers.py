"""Driver choice, the rpicam and opencv drivers, and bad settings."""

from __future__ import annotations

import json
import stat
import sys

import pytest

from zenith.config import load_settings
from zenith.errors import ConfigError
from zenith_capture.backends import driver_class, driver_names
from zenith_capture.backends.rpicam import RpicamDriver
from zenith_capture.settings import CaptureSettings

from .conftest import eventually, running_capture

STAND_IN = """#!{python}
import json, sys
import cv2, numpy as np
args = sys.argv[1:]
open({log!r}, "a").write(json.dumps(args) + "\\n")
if {fail}:
    print("ERROR: no cameras available", file=sys.stderr)
    sys.exit(1)
w, h = int(args[args.index("--width") + 1]), int(args[args.index("--height") + 1])
img = np.full((h, w, 3), 50, np.uint8)
cv2.imwrite(args[args.index("-o") + 1], img)
"""


def stand_in(tmp_path, fail=False):
    """A stand-in for rpicam-still: records its arguments, writes a PNG."""
    log = tmp_path / "calls.log"
    script = tmp_path / ("rpicam-broken" if fail else "rpicam-still")
    script.write_text(STAND_IN.format(python=sys.executable, log=str(log), fail=fail))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, log


def test_builtin_drivers_by_name():
    assert {"simulator", "folder", "opencv", "rpicam"} <= set(driver_names())
    assert driver_class("rpicam") is RpicamDriver
    with pytest.raises(ConfigError) as info:
        driver_class("nope")
    assert "ZENITH_CAPTURE_DRIVER" in str(info.value)


def test_bad_settings_name_the_variable():
    with pytest.raises(ConfigError) as info:
        load_settings(CaptureSettings, env={"ZENITH_CAPTURE_SIM_BIT_DEPTH": "12"})
    assert "ZENITH_CAPTURE_SIM_BIT_DEPTH" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_settings(CaptureSettings, env={"ZENITH_CAPTURE_INTERVAL_S": "-5"})
    assert "ZENITH_CAPTURE_INTERVAL_S" in str(info.value)
    with pytest.raises(ConfigError):
        load_settings(CaptureSettings, env={"ZENITH_CAPTURE_NIGHT_MIN_EXPOSURE_S": "60"})


async def test_rpicam_without_the_program_says_what_to_install(make_settings):
    settings = make_settings(capture_driver="rpicam",
                             capture_rpicam_binary="rpicam-still-not-installed")
    async with running_capture(settings) as (_, app):
        status = await eventually(lambda: app.loop.state == "error" and app.loop.status())
        assert "rpicam-still-not-installed was not found" in status.message
        assert "ZENITH_CAPTURE_RPICAM_BINARY" in status.message


async def test_rpicam_passes_exposure_and_gain(make_settings, tmp_path):
    script, log = stand_in(tmp_path)
    settings = make_settings(capture_driver="rpicam", capture_rpicam_binary=str(script),
                             capture_auto_exposure=False, capture_exposure_s=0.25,
                             capture_gain=2.5, capture_day_max_gain=4.0,
                             capture_interval_s=0.2)
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 1, timeout=30)
    args = json.loads(log.read_text().splitlines()[0])
    assert args[args.index("--shutter") + 1] == "250000"
    assert args[args.index("--gain") + 1] == "2.5"
    assert args[args.index("--width") + 1] == "640"


async def test_rpicam_failure_shows_its_error(make_settings, tmp_path):
    script, _ = stand_in(tmp_path, fail=True)
    settings = make_settings(capture_driver="rpicam", capture_rpicam_binary=str(script),
                             capture_auto_exposure=False, capture_exposure_s=0.01,
                             capture_interval_s=0.2)
    async with running_capture(settings) as (_, app):
        status = await eventually(lambda: app.loop.state == "error" and app.loop.status())
        assert "no cameras available" in status.message


async def test_opencv_without_a_device_is_an_error(make_settings, tmp_path):
    settings = make_settings(capture_driver="opencv",
                             capture_opencv_device=str(tmp_path / "video-missing"))
    async with running_capture(settings) as (_, app):
        status = await eventually(lambda: app.loop.state == "error" and app.loop.status())
        assert "cannot open video device" in status.message

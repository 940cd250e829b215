"""The ``indi`` driver against a real indiserver running indi_simulator_ccd."""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.io import fits  # type: ignore[import-untyped]

from tests.support.require import missing
from zenith.config import load_settings
from zenith.imaging.decode import image_from_array
from zenith.imaging.stretch import to_display
from zenith_capture.backends import driver_class
from zenith_capture.backends.base import DriverContext, DriverError
from zenith_capture.backends.indi import IndiDriver, decode_fits
from zenith_capture.settings import CaptureSettings
from zenith_capture.sim.clock import Clock

from .conftest import eventually, running_capture

DEVICE = "CCD Simulator"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class IndiServer:
    """indiserver with the CCD simulator on a loopback port (HOME in tmp:
    no saved driver configuration leaks in)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "HOME": str(self.home)}
        self.proc = subprocess.Popen(
            ["indiserver", "-p", str(self.port), "indi_simulator_ccd"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("indiserver did not start")

    def kill(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the server and its driver
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def indi_server(tmp_path: Path) -> Iterator[IndiServer]:
    if shutil.which("indiserver") is None or shutil.which("indi_simulator_ccd") is None:
        missing("indiserver with indi_simulator_ccd", "apt-get install indi-bin")
    server = IndiServer(tmp_path)
    server.start()
    yield server
    server.kill()


def indi_settings(tmp_path: Path, port: int, **overrides: Any) -> CaptureSettings:
    values: dict[str, Any] = {
        "camera": "cam-1", "data_dir": tmp_path / "data", "capture_driver": "indi",
        "capture_indi_host": "127.0.0.1", "capture_indi_port": port,
        "capture_indi_device": DEVICE, "capture_timeout_s": 20.0}
    values.update(overrides)
    return load_settings(CaptureSettings, env={}, **values)


@pytest.fixture
def make_driver(tmp_path: Path) -> Iterator[Any]:
    drivers: list[IndiDriver] = []

    def make(port: int, **overrides: Any) -> IndiDriver:
        settings = indi_settings(tmp_path, port, **overrides)
        driver = IndiDriver(DriverContext(settings=settings, camera="cam-1", clock=Clock()))
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.close()


def fits_bytes(data: np.ndarray, **header: Any) -> bytes:
    hdu = fits.PrimaryHDU(data)
    for key, value in header.items():
        hdu.header[key] = value
    out = io.BytesIO()
    hdu.writeto(out)
    return out.getvalue()


# -- decoding ----------------------------------------------------------------
def test_16_bit_fits_is_kept_and_stretched_by_its_depth() -> None:
    data = np.array([[0, 1000], [32768, 65535]], dtype=np.uint16)
    pixels, bits, _ = decode_fits(fits_bytes(data))  # astropy writes BZERO=32768
    assert pixels.dtype == np.uint16 and bits == 16
    assert pixels.tolist() == data.tolist()
    shown = to_display(image_from_array(pixels, bits))
    assert shown.tolist() == [[0, 4], [128, 255]]


def test_8_bit_and_bayer_fits() -> None:
    pixels, bits, _ = decode_fits(fits_bytes(np.full((4, 4), 7, np.uint8)))
    assert pixels.dtype == np.uint8 and bits == 8 and pixels.shape == (4, 4)
    mosaic = np.zeros((8, 8), np.uint16)
    mosaic[0::2, 0::2] = 60000  # the R sites of an RGGB mosaic
    colour, _, _ = decode_fits(fits_bytes(mosaic, BAYERPAT="RGGB"))
    assert colour.shape == (8, 8, 3)
    b, g, r = (float(colour[2:6, 2:6, c].mean()) for c in range(3))
    assert r > 30000 and b < 1000 and g < 1000


def test_garbage_is_a_driver_error() -> None:
    with pytest.raises(DriverError) as info:
        decode_fits(b"SIMPLE  = nonsense")
    assert "FITS" in info.value.message


def test_chosen_by_name() -> None:
    assert driver_class("indi") is IndiDriver


# -- against indiserver ------------------------------------------------------
def test_frame_with_requested_exposure_and_gain(indi_server: IndiServer, make_driver: Any
                                                ) -> None:
    driver = make_driver(indi_server.port)
    driver.open()
    assert driver.device == DEVICE
    frame = driver.capture(0.25, 42.0)
    assert frame is not None
    assert frame.exposure_s == pytest.approx(0.25)
    assert frame.gain == 42.0
    assert frame.pixels.dtype == np.uint16 and frame.bit_depth == 16
    assert frame.pixels.shape == (1024, 1280)
    assert driver.header["EXPTIME"] == pytest.approx(0.25)
    assert driver.header["GAIN"] == pytest.approx(42.0)
    assert float(driver._vectors()["CCD_GAIN"]["GAIN"]) == pytest.approx(42.0)
    image = image_from_array(frame.pixels, frame.bit_depth)
    shown = to_display(image)
    expected = np.clip(np.rint(frame.pixels.astype(np.float64) * 255.0 / 65535.0), 0, 255)
    assert np.abs(shown.astype(int) - expected.astype(int)).max() <= 1


def test_simulated_bayer_camera_is_debayered(indi_server: IndiServer, make_driver: Any
                                             ) -> None:
    driver = make_driver(indi_server.port)
    driver.open()
    driver._send("SIMULATE_BAYER", {"INDI_ENABLED": "On", "INDI_DISABLED": "Off"})
    frame = None
    for _ in range(3):  # the simulator applies the mosaic from its next frame
        frame = driver.capture(0.1, 10.0)
        if frame is not None and frame.pixels.ndim == 3:
            break
    assert frame is not None and frame.pixels.shape == (1024, 1280, 3)
    assert str(driver.header.get("BAYERPAT", "")).strip()


def test_wrong_device_name_is_a_clear_error(indi_server: IndiServer, make_driver: Any) -> None:
    driver = make_driver(indi_server.port, capture_indi_device="ZWO CCD ASI999")
    with pytest.raises(DriverError) as info:
        driver.open()
    message = info.value.message
    assert "no device 'ZWO CCD ASI999'" in message
    assert DEVICE in message and "ZENITH_CAPTURE_INDI_DEVICE" in message


def test_no_server_is_a_clear_error(make_driver: Any) -> None:  # needs no indiserver
    driver = make_driver(free_port(), capture_timeout_s=1.0)
    with pytest.raises(DriverError) as info:
        driver.open()
    assert "no INDI server answers" in info.value.message


def test_reconnects_after_indiserver_restarts(indi_server: IndiServer, make_driver: Any
                                              ) -> None:
    driver = make_driver(indi_server.port, capture_indi_device="")  # the only camera
    driver.open()
    assert driver.device == DEVICE
    assert driver.capture(0.1, 20.0) is not None
    indi_server.kill()
    indi_server.start()
    frame = None
    for _ in range(5):  # the first attempt may still see the old connection
        try:
            frame = driver.capture(0.1, 30.0)
            break
        except DriverError:
            continue
    assert frame is not None and frame.pixels.shape == (1024, 1280)
    assert driver.header["GAIN"] == pytest.approx(30.0)  # settings re-applied


async def test_capture_service_saves_indi_frames(indi_server: IndiServer, tmp_path: Path,
                                                 nats_server: Any) -> None:
    settings = indi_settings(tmp_path, indi_server.port, nats_url=nats_server.url,
                             latitude=52.0, longitude=5.0, capture_auto_exposure=False,
                             capture_exposure_s=0.1, capture_gain=5.0, capture_interval_s=1.0,
                             capture_min_free_mb=0.0)
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 2, timeout=90)
        status = app.loop.status()
        assert status.driver == "indi" and status.state == "running"

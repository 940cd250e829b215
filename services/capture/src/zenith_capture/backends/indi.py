"""``indi``: an astronomy camera (ZWO, QHY, SVBony, Player One, a DSLR...)
through an INDI server (``indiserver``, the INDI protocol over TCP).

The client library is ``indipyclient``: pure Python (asyncio, no C
library to build), so it installs from a wheel here, in the container and
on a Raspberry Pi alike, and it is maintained (releases through 2026).
``pyindi-client`` needs SWIG and ``libindi-dev`` compiled against the
installed INDI version, which breaks whenever the two drift. FITS images
are read with ``astropy.io.fits`` (wheels for x86-64 and aarch64; ``fitsio``
compiles cfitsio on a Pi).

How a frame is taken, on the driver's worker thread:

1. :meth:`IndiDriver.open` starts the client on its own event loop in a
   daemon thread, waits for the server, picks the device
   ``capture_indi_device`` (empty: the only device whose ``DRIVER_INFO``
   says it is a CCD; a wrong name is a :class:`DriverError` naming the devices the
   server has), switches it on (``CONNECTION``) and applies the fixed
   settings: binning, offset, cooler and temperature when the camera has
   them, FITS transfer to the client.
2. :meth:`IndiDriver.capture` sets the gain (``CCD_GAIN``) when it changed,
   starts the exposure (``CCD_EXPOSURE``) and waits for the image BLOB
   (``CCD1``), then decodes it: 8- or 16-bit, colour planes to BGR,
   a Bayer mosaic (FITS ``BAYERPAT``) debayered.
3. When indiserver restarts, the library reconnects by itself (every few
   seconds); the next capture finds a new connection, switches the device
   on again and re-applies the settings. A capture that cannot reach the
   server fails (counted; the watchdog reopens the driver after
   ``capture_max_failures``).

Gain: Zenith's gain is linear (1 = unity). With ``capture_indi_gain_db_step``
set (ZWO cameras: 0.1, their gain unit is 0.1 dB) it is sent as
``20 log10(gain) / step``; empty, the number is sent as it is (the camera's
own units).
"""

from __future__ import annotations

import asyncio
import io
import math
import queue
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import numpy as np

from zenith.timefmt import utcnow
from zenith_capture.backends.base import CameraDriver, DriverError, RawFrame

T = TypeVar("T")
POLL_S = 0.05
CCD_INTERFACE = 1 << 1  # INDI's DRIVER_INTERFACE bit of a camera
SETTLE_S = 2.0  # after connecting, how long the server may take to list its devices

# FITS BAYERPAT (top-left 2x2 cell) -> the OpenCV conversion for it
BAYER_CODES = {"RGGB": "COLOR_BayerBG2BGR", "BGGR": "COLOR_BayerRG2BGR",
               "GRBG": "COLOR_BayerGB2BGR", "GBRG": "COLOR_BayerGR2BGR"}


def decode_fits(data: bytes) -> tuple[np.ndarray, int, dict[str, Any]]:
    """FITS bytes -> (pixels uint8/uint16, HxW or HxWx3 BGR; bit depth; header)."""
    import cv2
    from astropy.io import fits  # type: ignore[import-untyped]

    try:
        with fits.open(io.BytesIO(data), memmap=False) as hdul:
            hdu = next((h for h in hdul if getattr(h, "data", None) is not None), None)
            if hdu is None:
                raise DriverError("the camera sent a FITS file without an image",
                                  code="capture_failed")
            header = dict(hdu.header)
            array = np.asarray(hdu.data)
    except (OSError, ValueError) as exc:
        raise DriverError(f"the camera sent an unreadable FITS image: {exc}",
                          code="capture_failed") from None
    if array.dtype.kind == "f":
        array = np.clip(array, 0, 65535).astype(np.uint16)
    elif array.dtype.itemsize == 1:
        array = array.astype(np.uint8, copy=False)
    else:
        array = np.clip(array, 0, 65535).astype(np.uint16)
    bits = 8 if array.dtype == np.uint8 else 16
    if array.ndim == 3 and array.shape[0] == 3:  # colour planes R, G, B
        array = np.ascontiguousarray(np.transpose(array[::-1], (1, 2, 0)))
    elif array.ndim == 2:
        pattern = str(header.get("BAYERPAT", "")).strip().upper()
        if pattern in BAYER_CODES:
            array = cv2.cvtColor(np.ascontiguousarray(array),
                                 getattr(cv2, BAYER_CODES[pattern]))
    else:
        raise DriverError(f"unsupported FITS image shape {array.shape}", code="capture_failed")
    return np.ascontiguousarray(array), bits, header


class IndiDriver(CameraDriver):
    name = "indi"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self._blobs: queue.SimpleQueue[tuple[int, bytes] | None] = queue.SimpleQueue()
        self._generation = 0  # connections made so far
        self._ready_generation = -1  # the connection the device was set up on
        self._connected = threading.Event()
        self.device = ""
        self._gain_sent: float | None = None
        self.temperature_c: float | None = None  # the sensor's, from the last frame
        self.header: dict[str, Any] = {}  # the last frame's FITS header

    # -- the client thread ---------------------------------------------------
    def _start_client(self) -> None:
        import indipyclient  # type: ignore[import-untyped]

        driver = self

        class Client(indipyclient.IPyClient):  # type: ignore[misc]
            async def rxevent(self, event: Any) -> None:
                if isinstance(event, indipyclient.ConnectionMade):
                    driver._generation += 1
                    driver._connected.set()
                elif isinstance(event, indipyclient.ConnectionLost):
                    driver._connected.clear()
                    driver._blobs.put(None)
                elif (isinstance(event, indipyclient.setBLOBVector)
                      and event.devicename == driver.device):
                    for value in event.values():
                        if isinstance(value, bytes) and value:
                            driver._blobs.put((driver._generation, value))

        s = self.settings
        client = Client(s.capture_indi_host, s.capture_indi_port)
        client.enableBLOBdefault = "Also"
        client.enable_reports = False
        client.set_vector_timeouts(timeout_enable=False)
        loop = asyncio.new_event_loop()
        self._client, self._loop = client, loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(client.asyncrun())
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="indi-client", daemon=True)
        self._thread.start()

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _in_loop(self, fn: Callable[[], T]) -> T:
        async def call() -> T:
            return fn()
        return self._run(call())

    def _send(self, vector: str, members: dict[str, Any]) -> None:
        self._run(self._client.send_newVector(self.device, vector, members=members))

    def _vectors(self) -> dict[str, dict[str, str]]:
        """The device's properties now: vector -> member -> value."""
        def read() -> dict[str, dict[str, str]]:
            device = self._client.get(self.device)
            if device is None:
                return {}
            return {name: dict(vector) for name, vector in device.items()}
        return self._in_loop(read)

    def _wait(self, test: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if test():
                return True
            if self.wait(POLL_S):
                return False
        return test()

    # -- open ----------------------------------------------------------------
    def open(self) -> None:
        if self._client is None:
            self._start_client()
        self._prepare(self.settings.capture_timeout_s)

    def _prepare(self, timeout: float) -> None:
        """Find the device on the current connection, switch it on, apply settings."""
        s = self.settings
        where = f"{s.capture_indi_host}:{s.capture_indi_port}"
        if not self._connected.wait(timeout):
            raise DriverError(f"no INDI server answers at {where} (ZENITH_CAPTURE_INDI_HOST, "
                              "ZENITH_CAPTURE_INDI_PORT); is indiserver running?",
                              code="camera_not_found")
        generation = self._generation
        wanted = s.capture_indi_device.strip()
        self._wait(lambda: bool(self._devices()) and (not wanted or wanted in self._devices()),
                   SETTLE_S)
        devices = self._devices()
        if not wanted:
            cameras = [name for name, interface in devices.items()
                       if interface & CCD_INTERFACE]
            if len(cameras) != 1:
                raise DriverError(
                    f"the INDI server at {where} has {len(cameras) or 'no'} cameras "
                    f"({', '.join(sorted(devices)) or 'no devices'}): set "
                    "ZENITH_CAPTURE_INDI_DEVICE to one", code="camera_not_found")
            wanted = cameras[0]
        if wanted not in devices:
            raise DriverError(
                f"the INDI server at {where} has no device {wanted!r} "
                f"(ZENITH_CAPTURE_INDI_DEVICE); it has: {', '.join(sorted(devices)) or 'none'}",
                code="camera_not_found")
        self.device = wanted
        props = self._vectors()
        if props.get("CONNECTION", {}).get("CONNECT") != "On":
            self._send("CONNECTION", {"CONNECT": "On", "DISCONNECT": "Off"})
        if not self._wait(lambda: "CCD_EXPOSURE" in self._vectors(), timeout):
            raise DriverError(f"the INDI device {wanted!r} did not connect (no CCD_EXPOSURE "
                              "property): is the camera plugged in?", code="camera_not_found")
        self._apply_settings()
        self._gain_sent = None
        self._ready_generation = generation

    def _devices(self) -> dict[str, int]:
        """Device name -> the interfaces it says it has (DRIVER_INFO)."""
        def read() -> dict[str, int]:
            found = {}
            for name, device in self._client.items():
                info = device.get("DRIVER_INFO")
                interface = info.get("DRIVER_INTERFACE", "0") if info is not None else "0"
                found[name] = int(interface) if str(interface).isdigit() else 0
            return found
        return self._in_loop(read)

    def _apply_settings(self) -> None:
        s = self.settings
        props = self._vectors()
        self._run(self._client.send_enableBLOB("Also", self.device))
        if "CCD_TRANSFER_FORMAT" in props and "FORMAT_FITS" in props["CCD_TRANSFER_FORMAT"]:
            others = {k: "Off" for k in props["CCD_TRANSFER_FORMAT"] if k != "FORMAT_FITS"}
            self._send("CCD_TRANSFER_FORMAT", {"FORMAT_FITS": "On", **others})
        if "UPLOAD_MODE" in props:
            self._send("UPLOAD_MODE", {"UPLOAD_CLIENT": "On", "UPLOAD_LOCAL": "Off",
                                       "UPLOAD_BOTH": "Off"})
        if "CCD_BINNING" in props:
            b = s.capture_indi_binning
            self._send("CCD_BINNING", {"HOR_BIN": b, "VER_BIN": b})
        if s.capture_indi_offset is not None and "CCD_OFFSET" in props:
            self._send("CCD_OFFSET", {"OFFSET": s.capture_indi_offset})
        target = s.capture_indi_cooling_target_c
        if target is not None and "CCD_TEMPERATURE" in props:
            if "CCD_COOLER" in props:
                self._send("CCD_COOLER", {"COOLER_ON": "On", "COOLER_OFF": "Off"})
            self._send("CCD_TEMPERATURE", {"CCD_TEMPERATURE_VALUE": target})

    # -- capture -------------------------------------------------------------
    def camera_gain(self, gain: float) -> float:
        """Zenith's linear gain in the camera's units."""
        step = self.settings.capture_indi_gain_db_step
        if step is None:
            return gain
        return round(20.0 * math.log10(max(gain, 1e-6)) / step, 3)

    def capture(self, exposure_s: float, gain: float) -> RawFrame | None:
        if self._client is None:
            self.open()
        if not self._connected.is_set() or self._generation != self._ready_generation:
            self._prepare(self.settings.capture_timeout_s)  # indiserver restarted
        props = self._vectors()
        if "CCD_GAIN" in props and self._gain_sent != gain:
            self._send("CCD_GAIN", {"GAIN": self.camera_gain(gain)})
            self._gain_sent = gain
        while not self._blobs.empty():  # nothing from an earlier exposure
            self._blobs.get_nowait()
        generation = self._generation
        taken_at = utcnow()
        self._send("CCD_EXPOSURE", {"CCD_EXPOSURE_VALUE": exposure_s})
        deadline = time.monotonic() + exposure_s + self.settings.capture_timeout_s
        while True:
            if self._abort.is_set():
                self._abort_exposure()
                return None
            try:
                item = self._blobs.get(timeout=min(0.2, max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    raise DriverError(f"no image from {self.device!r} within "
                                      f"{exposure_s + self.settings.capture_timeout_s:.0f}s",
                                      code="capture_failed") from None
                continue
            if item is None or item[0] != generation:
                raise DriverError("the INDI server connection was lost during the exposure",
                                  code="capture_failed")
            break
        pixels, bits, header = decode_fits(item[1])
        self.header = header
        temp = header.get("CCD-TEMP")
        self.temperature_c = float(temp) if isinstance(temp, int | float) else None
        return RawFrame(pixels=pixels, taken_at=taken_at,
                        exposure_s=float(header.get("EXPTIME", exposure_s)), gain=gain,
                        bit_depth=bits, focus_position=self.context.focus(),
                        temperature_c=self.temperature_c)

    def _abort_exposure(self) -> None:
        try:
            self._send("CCD_ABORT_EXPOSURE", {"ABORT": "On"})
        except Exception:  # the server may be gone; aborting is best effort
            pass

    def close(self) -> None:
        client, loop, thread = self._client, self._loop, self._thread
        self._client = self._loop = self._thread = None
        if client is None or loop is None:
            return
        loop.call_soon_threadsafe(client.shutdown)
        if thread is not None:
            thread.join(timeout=3.0)

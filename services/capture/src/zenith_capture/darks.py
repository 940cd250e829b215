"""The dark-frame library and dark subtraction.

A dark is the average of N exposures taken with no light on the sensor
(the lens capped, or the driver's own dark mode): what the sensor adds by
itself at that exposure, gain and temperature — bias, dark current and its
hot pixels. :meth:`DarkLibrary.record` takes and stores one
(``capture.DARKS`` documents, the array under ``capture.dark_key`` as a
float32 ``.npy`` in full-scale units); the library keeps every dark of the
camera in memory.

:meth:`DarkLibrary.subtract` (CPU, in the frame's analysis thread) works on
every night frame before any metric or product sees it:

1. the nearest dark of the same size and channels: closest in
   ``log(exposure × gain)``, then temperature (``TEMP_WEIGHT`` per °C);
2. its pedestal (the median: bias plus the mean dark current) stays, the
   part above it is scaled by the exposure × gain ratio (dark current grows
   with both) and subtracted;
3. the dark's hot pixels (more than ``HOT_SIGMA`` robust deviations above
   the pedestal) are replaced by the median of their 3×3 neighbours, since
   a saturated or noisy hot pixel leaves more than its mean behind.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from zenith.contracts import capture
from zenith.contracts.capture import DARKS, DarkDoc
from zenith.errors import BadRequest
from zenith.ids import new_id
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import utcnow
from zenith_capture.backends.base import RawFrame

log = logging.getLogger("zenith.capture.darks")
HOT_SIGMA = 8.0
TEMP_WEIGHT = 0.1  # one stop of exposure x gain weighs as much as 10 °C
MAX_STOPS = 3.0  # a dark further than this (x8 exposure x gain) is not used


@dataclass
class LoadedDark:
    doc: DarkDoc
    dark: np.ndarray  # float32, full scale 1, HxW or HxWx3
    pedestal: float
    hot: np.ndarray  # bool HxW

    @classmethod
    def make(cls, doc: DarkDoc, dark: np.ndarray) -> LoadedDark:
        pedestal = float(np.median(dark))
        grey = dark.max(axis=2) if dark.ndim == 3 else dark
        excess = grey - pedestal
        spread = float(np.median(np.abs(excess))) * 1.4826
        floor = max(spread * HOT_SIGMA, 2.0 / ((1 << doc.bit_depth) - 1))
        return cls(doc, dark, pedestal, excess > floor)


def _top(raw: RawFrame) -> tuple[int, float]:
    """The frame's bit depth and full-scale value."""
    depth = raw.bit_depth or (8 if raw.pixels.dtype == np.uint8 else 16)
    return depth, float((1 << depth) - 1)


class DarkLibrary:
    def __init__(self, meta: MetadataStore, blobs: BlobStore, camera: str) -> None:
        self.meta = meta
        self.blobs = blobs
        self.camera = camera
        self.darks: list[LoadedDark] = []

    async def setup(self) -> None:
        for fields in DARKS.indexes:
            await self.meta.ensure_index(DARKS.name, list(fields))
        loaded: list[LoadedDark] = []
        for raw in await self.meta.find(DARKS.name, {"camera": self.camera}):
            doc = DARKS.from_doc(raw)
            try:
                data = await self.blobs.aread_bytes(doc.key)
                loaded.append(LoadedDark.make(doc, np.load(io.BytesIO(data))))
            except (OSError, ValueError) as exc:
                log.warning("dark %s unreadable, not used: %s", doc.id, exc)
        self.darks = loaded

    def list(self) -> capture.Darks:
        docs = sorted((d.doc for d in self.darks), key=lambda d: d.created_at, reverse=True)
        return capture.Darks(camera=self.camera, darks=docs)

    async def record(self, take: Callable[[], Awaitable[RawFrame]], frames: int
                     ) -> DarkDoc:
        """Average ``frames`` frames from ``take`` into a new dark and keep it."""
        total: np.ndarray | None = None
        first: RawFrame | None = None
        temps: list[float] = []
        for _ in range(frames):
            raw = await take()
            if first is None:
                first = raw
            elif raw.pixels.shape != first.pixels.shape:
                raise BadRequest("the camera changed frame size while recording a dark",
                                 code="dark_size_changed")
            scaled = raw.pixels.astype(np.float32) / _top(raw)[1]
            total = scaled if total is None else total + scaled
            if raw.temperature_c is not None:
                temps.append(raw.temperature_c)
        assert total is not None and first is not None
        dark = (total / frames).astype(np.float32)
        depth = _top(first)[0]
        dark_id = new_id()
        key = capture.dark_key(self.camera, dark_id)
        out = io.BytesIO()
        np.save(out, dark, allow_pickle=False)
        await self.blobs.awrite_bytes(key, out.getvalue())
        doc = DarkDoc(id=dark_id, camera=self.camera, exposure_s=first.exposure_s,
                      gain=first.gain, temperature_c=round(sum(temps) / len(temps), 2)
                      if temps else None, frames=frames, width=int(dark.shape[1]),
                      height=int(dark.shape[0]), channels=1 if dark.ndim == 2 else 3,
                      bit_depth=depth, hot_pixels=0, key=key, created_at=utcnow())
        loaded = LoadedDark.make(doc, dark)
        doc = doc.model_copy(update={"hot_pixels": int(loaded.hot.sum())})
        loaded.doc = doc
        await self.meta.insert(DARKS.name, DARKS.to_doc(doc))
        self.darks.append(loaded)
        log.info("dark %s recorded: %d frames, %gs, gain %g, %d hot pixels", dark_id, frames,
                 doc.exposure_s, doc.gain, doc.hot_pixels)
        return doc

    def nearest(self, raw: RawFrame) -> LoadedDark | None:
        h, w = raw.pixels.shape[:2]
        channels = 1 if raw.pixels.ndim == 2 else raw.pixels.shape[2]
        signal = max(raw.exposure_s * raw.gain, 1e-9)
        best: tuple[float, LoadedDark] | None = None
        for d in self.darks:
            doc = d.doc
            if (doc.width, doc.height, doc.channels) != (w, h, channels):
                continue
            stops = abs(math.log2(signal / max(doc.exposure_s * doc.gain, 1e-9)))
            if stops > MAX_STOPS:
                continue
            cost = stops
            if raw.temperature_c is not None and doc.temperature_c is not None:
                cost += TEMP_WEIGHT * abs(raw.temperature_c - doc.temperature_c)
            if best is None or cost < best[0]:
                best = (cost, d)
        return None if best is None else best[1]

    def subtract(self, raw: RawFrame) -> RawFrame:
        """``raw`` less its nearest dark, hot pixels filled (``raw`` itself when none fits)."""
        d = self.nearest(raw)
        if d is None or raw.exposure_s <= 0:
            return raw
        top = _top(raw)[1]
        ratio = (raw.exposure_s * raw.gain) / max(d.doc.exposure_s * d.doc.gain, 1e-9)
        excess = (d.dark - d.pedestal) * np.float32(ratio)
        img = raw.pixels.astype(np.float32) - excess * np.float32(top)
        np.clip(img, 0, top, out=img)
        out = np.rint(img).astype(raw.pixels.dtype)
        if d.hot.any():
            filled = cv2.medianBlur(out, 3)
            out[d.hot] = filled[d.hot]
        return replace(raw, pixels=out, encoded=None)


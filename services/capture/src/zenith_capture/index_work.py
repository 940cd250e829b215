"""An uploaded frame's own work: decode, sky metrics, thumbnail, its two blobs.

The same function runs in capture's niced index threads and in its idle
worker processes (:mod:`zenith_capture.index_idle`). What it needs comes in
an :class:`IndexJob`, small and picklable (the staged part's key, never its
bytes: the worker reads them from the BlobStore itself); what it made goes
back as an :class:`IndexResult`. Doing it twice is harmless: both blobs are
written by an atomic rename, with the same bytes.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np

from zenith.imaging.decode import image_from_array
from zenith.imaging.encode import encode_jpeg, make_thumbnail
from zenith.storage.blob import BlobStore
from zenith_capture.settings import CaptureSettings
from zenith_capture.skymetrics import SkyMeter
from zenith_capture.upload_metrics import Measured, ReportedMetrics, thumbnail_decode

THUMB_QUALITY = 80
METERS_KEPT = 1024


@dataclass(frozen=True)
class IndexJob:
    camera: str
    location: tuple[float, float, float]  # latitude, longitude, elevation of its site
    part_key: str  # the staged live image
    part_width: int | None  # as web read it from the JPEG's header
    part_height: int | None
    reported: ReportedMetrics | None  # the node's own metrics, when it sent usable ones
    taken_at: datetime
    exposure_s: float
    gain: float
    sun_altitude: float
    key: str  # the frame's blob
    thumb_key: str
    thumb_width: int


@dataclass
class IndexResult:
    metrics: Measured
    thumb_size: int
    width: int
    height: int
    size: int


class Meters:
    """A :class:`SkyMeter` per camera and site, made once (it keeps its lens grid
    and catalogue positions), the least recently used dropped past
    :data:`METERS_KEPT`. Each camera's frames are indexed in order, so one meter
    is never used by two threads at once."""

    def __init__(self, settings: CaptureSettings) -> None:
        self.settings = settings
        self._meters: OrderedDict[tuple[str, float, float, float], SkyMeter] = OrderedDict()

    def get(self, camera: str, location: tuple[float, float, float]) -> SkyMeter:
        key = (camera, *location)
        meter = self._meters.get(key)
        if meter is None:
            latitude, longitude, elevation = location
            meter = SkyMeter(self.settings.model_copy(update={
                "latitude": latitude, "longitude": longitude, "elevation": elevation}))
            self._meters[key] = meter
            while len(self._meters) > METERS_KEPT:
                self._meters.popitem(last=False)
        else:
            self._meters.move_to_end(key)
        return meter


def index_frame(job: IndexJob, blobs: BlobStore, meters: Meters) -> IndexResult:
    """Decode the staged image, measure it (unless its node did), write the frame (a
    hard link to the staged bytes) and its thumbnail. A frame with its node's
    metrics is decoded only as large as its thumbnail needs. Blocking; raises
    :class:`zenith.errors.NotFound` when the staged image is gone."""
    data = blobs.read_bytes(job.part_key)
    sized = job.reported is not None and job.part_width and job.part_height
    flag = thumbnail_decode(job.part_width, job.thumb_width) if sized else cv2.IMREAD_COLOR
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    if pixels is None:
        raise ValueError("staged image does not decode")
    image = image_from_array(pixels, 8)
    metrics: Measured
    if job.reported is not None and sized:
        metrics, width, height = job.reported, job.part_width or 0, job.part_height or 0
    else:
        measured = meters.get(job.camera, job.location).measure(
            image, job.taken_at, job.exposure_s, job.gain, job.sun_altitude)
        # the star list is not indexed: leave it here rather than send it back
        metrics = dataclasses.replace(measured, star_list=[])
        width, height = image.width, image.height
    thumb = encode_jpeg(make_thumbnail(image, job.thumb_width), THUMB_QUALITY)
    blobs.write_link(job.key, job.part_key)
    blobs.write_bytes(job.thumb_key, thumb)
    return IndexResult(metrics, len(thumb), width, height, len(data))


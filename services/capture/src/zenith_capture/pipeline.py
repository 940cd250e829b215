"""One frame from pixels to everywhere it goes.

:meth:`FrameProcessor.analyse` (CPU, run in a thread) subtracts the
nearest dark from a night frame (:mod:`zenith_capture.darks`), then
decodes nothing twice (meteors are looked for in the same decode,
:mod:`zenith_capture.meteor_store`): from the driver's pixels it makes the
linear grey frame for the sky
metrics and the 8-bit picture (16-bit data scaled by its real depth) for
the JPEG and the thumbnail. :meth:`FrameProcessor.save` then writes, in
this order: the JPEG and thumbnail to the BlobStore
(``frames.frame_key``, ``frames.frame_thumb_key``), the index document
(``frames.FrameDoc``) through the :class:`FrameIndex`, and finally the events
``frames.FRAME_CAPTURED`` (``Nats-Msg-Id`` = frame id) and the sky metrics
as ``sensors.SENSOR_READING`` (sensor ``sky``). The sensors service, owner
of the SeriesStore, writes that reading as every other (measurement ``sky``);
capture writes no series itself.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from nats.js import JetStreamContext

from zenith.bus.events import try_publish
from zenith.contracts import frames, sensors
from zenith.ids import new_id
from zenith.imaging.decode import Image, image_from_array
from zenith.imaging.encode import encode_jpeg, make_thumbnail
from zenith.imaging.stretch import to_display
from zenith.storage.blob import BlobStore
from zenith.timefmt import utcnow
from zenith_capture.backends.base import RawFrame
from zenith_capture.darks import DarkLibrary
from zenith_capture.frames_index import FrameIndex
from zenith_capture.meteor_store import Finds, MeteorSearch
from zenith_capture.settings import CaptureSettings
from zenith_capture.skymetrics import SkyMeter, SkyMetrics

log = logging.getLogger("zenith.capture")

THUMB_QUALITY = 80


@dataclass
class Analysed:
    image: Image
    metrics: SkyMetrics
    jpeg: bytes
    thumb: bytes
    meteors: Finds | None = None


@dataclass
class FrameContext:
    """What the loop worked out about a frame before it is processed."""

    sun_altitude: float
    is_night: bool
    night: str


class FrameProcessor:
    def __init__(self, settings: CaptureSettings, driver_name: str, meter: SkyMeter,
                 index: FrameIndex, blobs: BlobStore,
                 js: JetStreamContext, darks: DarkLibrary | None = None,
                 meteors: MeteorSearch | None = None) -> None:
        self.settings = settings
        self.darks = darks
        self.meteors = meteors
        self.camera = settings.camera
        self.driver_name = driver_name
        self.meter = meter
        self.index = index
        self.blobs = blobs
        self.js = js

    def analyse(self, raw: RawFrame, ctx: FrameContext) -> Analysed:
        s = self.settings
        if ctx.is_night and self.darks is not None:
            raw = self.darks.subtract(raw)  # before any metric or product sees it
        image = image_from_array(raw.pixels, raw.bit_depth)
        metrics = self.meter.measure(image, raw.taken_at, raw.exposure_s, raw.gain,
                                     ctx.sun_altitude)
        picture = to_display(image, auto_stretch=s.capture_auto_stretch)
        if raw.encoded is not None and image.bit_depth == 8 and not s.capture_auto_stretch:
            jpeg = raw.encoded
        else:
            jpeg = encode_jpeg(picture, s.capture_jpeg_quality)
        thumb = encode_jpeg(make_thumbnail(picture, s.capture_thumb_width), THUMB_QUALITY)
        finds = None if self.meteors is None else \
            self.meteors.find(image, picture, raw.taken_at, ctx.is_night)
        return Analysed(image, metrics, jpeg, thumb, finds)

    async def save(self, raw: RawFrame, done: Analysed, ctx: FrameContext
                   ) -> frames.FrameCaptured:
        camera = self.camera
        frame_id = new_id()
        stamp = frames.frame_stamp(raw.taken_at)
        key = frames.frame_key(camera, ctx.night, stamp)
        thumb_key = frames.frame_thumb_key(camera, ctx.night, stamp)
        await self.blobs.awrite_bytes(key, done.jpeg)
        await self.blobs.awrite_bytes(thumb_key, done.thumb)
        m = done.metrics
        image = done.image
        await self.index.add(frames.FrameDoc(
            id=frame_id, camera=camera, night=ctx.night, taken_at=raw.taken_at,
            is_night=ctx.is_night, key=key, thumb_key=thumb_key, width=image.width,
            height=image.height, bit_depth=image.bit_depth, size=len(done.jpeg),
            thumb_size=len(done.thumb), exposure_s=raw.exposure_s, gain=raw.gain,
            sun_altitude=round(ctx.sun_altitude, 3), source=self.driver_name, file=raw.source,
            focus_position=raw.focus_position, metrics=m.fields(), created_at=utcnow()))
        if done.meteors is not None and self.meteors is not None:
            await self.meteors.save(done.meteors, ctx.night, frame_id)
        fields = m.fields()
        fields["sun_altitude"] = round(ctx.sun_altitude, 3)
        if raw.exposure_s > 0:
            fields["exposure_s"] = raw.exposure_s
            fields["gain"] = raw.gain
        tags = {"camera": camera}
        event = frames.FrameCaptured(
            camera=camera, frame_id=frame_id, taken_at=raw.taken_at, night=ctx.night,
            is_night=ctx.is_night, key=key, thumb_key=thumb_key, width=image.width,
            height=image.height, bit_depth=image.bit_depth, exposure_s=raw.exposure_s,
            gain=raw.gain, mean=round(m.mean, 5), stars=m.stars, cloud_cover=m.cloud_cover,
            sqm=None if m.sqm is None else round(m.sqm, 3),
            sun_altitude=round(ctx.sun_altitude, 3),
            hfr=None if m.hfr is None else round(m.hfr, 3), size=len(done.jpeg),
            source=self.driver_name)
        reading = sensors.Reading(camera=camera, sensor=sensors.SKY_SENSOR,
                                  measurement=sensors.SKY_SENSOR, time=raw.taken_at,
                                  fields=fields, tags=tags)
        await asyncio.gather(
            try_publish(self.js, frames.FRAME_CAPTURED, event, msg_id=frame_id, camera=camera),
            try_publish(self.js, sensors.SENSOR_READING, reading, msg_id=f"{frame_id}.sky",
                        camera=camera, sensor=sensors.SKY_SENSOR))
        return event

"""On a hub: frames uploaded by many cameras, from the INGEST stream to the index.

The web service staged each live image (``ingest.UploadReceived``, kind
``frame``) and JetStream holds the announcement; this consumer (durable
``capture-uploads``, shared by every capture replica) makes it a frame
exactly as a node would: decode the staged JPEG once, measure the sky for
the camera's own site (its location comes from the network service; a
Zenith node's frame keeps the metrics its node measured,
:mod:`~zenith_capture.upload_metrics`),
write the frame (a hard link to the staged bytes, no copy) and its
thumbnail, index it, publish the sky reading and ``zenith.frames.<camera>``,
and then remove the upload's staged parts (``zenith.storage.staging``): from
then on the frame's is the only name of its bytes, so retention deleting it
frees them. The frame id is the upload id, so a redelivered or repeated
upload finds its frame already indexed and changes nothing; one whose staged
frame is gone was indexed before (or swept, weeks old) and is dropped.

A store, the network service or NATS being away delays frames (the message
is redelivered later); it loses none: the upload stays in the stream until
this consumer acknowledged it.

Indexing is the hub's heaviest work per upload (a full decode, the sky
metrics and the thumbnail: about 0.04-0.06 s of CPU for a 1920 px frame that
comes without its node's metrics (``bench/capture/skymetrics.py``), a few
milliseconds for one with), and the
upload was acknowledged already, so it yields to the uploads still being
received: all of it (reading and writing the blobs too) runs in its own
:class:`IndexPool` of
``capture_index_workers`` threads (frames of different cameras at once,
each camera's in order), niced by ``capture_index_nice`` on Linux, where a
thread has its own priority. While web is busy, the index falls behind and
catches up when it is not.

``capture_index_idle`` (off by default) runs them under the idle scheduling
policy instead: the kernel gives them a core only while no other thread wants
one. A nice level does not do that (the kernel lets a niced thread finish its
slice), and under the hub benchmark an upload's check waited 1.5-2.4 ms for a
core; with the idle policy the paced ingest p50 fell by about 0.8 ms. It is
not the default because the threads share the process's GIL: one preempted
while it holds it stops capture's event loop until a core is free. With both
cores kept busy by other processes, a loop beside two such threads woke at
worst 1.2-1.6 s late in three runs (niced: 66-124 ms; ``bench/hub/index_priority.py``),
and the index itself waits for as long as the load lasts, so live images go
stale while, say, products encodes a night.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import cv2
import numpy as np
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError

from zenith.bus.client import BusClient
from zenith.bus.events import try_publish
from zenith.bus.pull import consume
from zenith.bus.service import BusService
from zenith.contracts import frames, ingest, network, sensors
from zenith.contracts.frames import FRAMES_INDEX
from zenith.errors import NotFound
from zenith.imaging.decode import image_from_array
from zenith.imaging.encode import encode_jpeg, make_thumbnail
from zenith.runner import ServiceContext
from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_blobs, open_metadata
from zenith.storage.metadata import MetadataStore
from zenith.storage.staging import unstage
from zenith.timefmt import utcnow
from zenith_capture.astro import Site, is_night, night_of, sun_altitude
from zenith_capture.frames_index import FrameIndex, mark_stale, serve_index
from zenith_capture.settings import CaptureSettings
from zenith_capture.skymetrics import SkyMeter
from zenith_capture.upload_metrics import Measured, reported_metrics, thumbnail_decode

log = logging.getLogger("zenith.capture.uploads")

DURABLE = "capture-uploads"
BATCH = 8
SITE_TTL_S = 300.0
THUMB_QUALITY = 80


T = TypeVar("T")


def lower_priority(nice: int, idle: bool) -> None:
    """Run the calling thread ``nice`` steps lower and, with ``idle``, under the
    idle scheduling policy (Linux: a thread's own; elsewhere the calls would
    change the whole process, so nothing happens)."""
    if not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    try:
        if nice > 0:
            current = os.getpriority(os.PRIO_PROCESS, tid)
            os.setpriority(os.PRIO_PROCESS, tid, min(19, current + nice))
        if idle:
            os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
    except OSError as exc:  # not allowed here (a seccomp profile): at the same priority
        log.info("index worker not lowered: %s", exc)


class IndexPool:
    """The worker threads that index uploaded frames, at a lower priority."""

    def __init__(self, workers: int, nice: int, idle: bool = False) -> None:
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="capture-index",
                                        initializer=lower_priority, initargs=(nice, idle))

    async def run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass
class _CameraSite:
    meter: SkyMeter
    site: Site
    longitude: float
    fetched: float


async def open_uploads_consumer(js: JetStreamContext) -> JetStreamContext.PullSubscription:
    stream = ingest.UPLOAD_RECEIVED.stream
    try:
        await js.consumer_info(stream, DURABLE)
    except NotFoundError:
        await js.add_consumer(stream, ConsumerConfig(
            name=DURABLE, durable_name=DURABLE, description="capture: uploaded live frames",
            filter_subject=ingest.UPLOAD_RECEIVED.wildcard(kind="frame"),
            ack_policy=AckPolicy.EXPLICIT, ack_wait=120, max_ack_pending=256,
            max_deliver=-1))
    return await js.pull_subscribe_bind(durable=DURABLE, stream=stream)


class UploadIndexer:
    def __init__(self, settings: CaptureSettings, meta: MetadataStore, blobs: BlobStore,
                 js: JetStreamContext, bus: BusClient) -> None:
        self.settings = settings
        self.meta = meta
        self.blobs = blobs
        self.js = js
        self.bus = bus
        self.pool = IndexPool(settings.capture_index_workers, settings.capture_index_nice,
                              settings.capture_index_idle)
        self._sites: dict[str, _CameraSite] = {}

    async def _site(self, camera: str) -> _CameraSite:
        cached = self._sites.get(camera)
        if cached is not None and time.monotonic() - cached.fetched < SITE_TTL_S:
            return cached
        cam = await self.bus.request(network.CAMERA_GET, {"camera": camera})
        loc = cam.location
        local = self.settings.model_copy(update={"latitude": loc.latitude,
                                                 "longitude": loc.longitude,
                                                 "elevation": loc.elevation})
        found = _CameraSite(SkyMeter(local), Site(loc.latitude, loc.longitude, loc.elevation),
                            loc.longitude, time.monotonic())
        self._sites[camera] = found
        return found

    async def index(self, upload: ingest.UploadReceived) -> frames.FrameCaptured | None:
        """Make the upload a frame (None when it is one already, or cannot be one);
        its staged parts go once the frame is indexed. A failure keeps them for the
        redelivery."""
        event = await self._index(upload)
        await self.pool.run(lambda: unstage(self.blobs, upload))
        return event

    async def _index(self, upload: ingest.UploadReceived) -> frames.FrameCaptured | None:
        if await self.meta.get(FRAMES_INDEX.name, upload.upload_id) is not None:
            return None
        part = upload.parts.get("fullhd")
        if part is None:
            log.warning("upload %s has no fullhd part: dropped", upload.upload_id)
            return None
        camera = upload.camera
        try:
            where = await self._site(camera)
        except NotFound:
            log.warning("upload %s: camera %s is not registered: dropped", upload.upload_id,
                        camera)
            return None
        taken = upload.taken_at
        sun = sun_altitude(where.site, taken)
        night = is_night(sun, self.settings.capture_night_sun_altitude)
        night_date = night_of(taken, where.longitude, night)
        exposure = float(upload.meta.get("exposure_s", 0.0) or 0.0)
        gain = float(upload.meta.get("gain", 1.0) or 1.0)
        stamp = frames.frame_stamp(taken)
        key = frames.frame_key(camera, night_date, stamp)
        thumb_key = frames.frame_thumb_key(camera, night_date, stamp)

        reported = reported_metrics(upload.meta)
        thumb_width = self.settings.capture_thumb_width

        def work() -> tuple[Measured, int, int, int, int]:
            """The whole of the frame's work, its reading and writing too, at the
            pool's lower priority: a frame with its node's metrics is decoded only as
            large as its thumbnail needs."""
            data = self.blobs.read_bytes(part.key)
            sized = reported is not None and part.width and part.height
            flag = thumbnail_decode(part.width, thumb_width) if sized else cv2.IMREAD_COLOR
            pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
            if pixels is None:
                raise ValueError("staged image does not decode")
            image = image_from_array(pixels, 8)
            metrics: Measured
            if reported is not None and sized:
                metrics, width, height = reported, part.width or 0, part.height or 0
            else:
                metrics = where.meter.measure(image, taken, exposure, gain, sun)
                width, height = image.width, image.height
            thumb = encode_jpeg(make_thumbnail(image, thumb_width), THUMB_QUALITY)
            self.blobs.write_link(key, part.key)
            self.blobs.write_bytes(thumb_key, thumb)
            return metrics, len(thumb), width, height, len(data)

        try:
            metrics, thumb_size, width, height, size = await self.pool.run(work)
        except NotFound:
            log.warning("upload %s: its staged frame is gone (indexed before, or swept): "
                        "dropped", upload.upload_id)
            return None
        fields = metrics.fields()
        fields["sun_altitude"] = round(sun, 3)
        doc = frames.FrameDoc(
            id=upload.upload_id, camera=camera, night=night_date, taken_at=taken,
            is_night=night, key=key, thumb_key=thumb_key, width=width, height=height,
            size=size, thumb_size=thumb_size, exposure_s=exposure, gain=gain,
            sun_altitude=round(sun, 3), source=f"upload:{upload.dialect}",
            metrics=metrics.fields(), created_at=utcnow())
        try:
            await self.meta.insert(FRAMES_INDEX.name, FRAMES_INDEX.to_doc(doc))
        except Exception as exc:
            if await self.meta.get(FRAMES_INDEX.name, upload.upload_id) is not None:
                return None  # another replica indexed it meanwhile
            raise exc
        await mark_stale(self.meta, camera, night_date)
        m = metrics
        event = frames.FrameCaptured(
            camera=camera, frame_id=upload.upload_id, taken_at=taken, night=night_date,
            is_night=night, key=key, thumb_key=thumb_key, width=width, height=height,
            exposure_s=exposure, gain=gain, mean=round(m.mean, 5), stars=m.stars,
            cloud_cover=m.cloud_cover, sqm=None if m.sqm is None else round(m.sqm, 3),
            sun_altitude=round(sun, 3), hfr=None if m.hfr is None else round(m.hfr, 3),
            size=size, source=f"upload:{upload.dialect}")
        reading = sensors.Reading(camera=camera, sensor=sensors.SKY_SENSOR,
                                  measurement=sensors.SKY_SENSOR, time=taken, fields=fields,
                                  tags={"camera": camera})
        await asyncio.gather(
            try_publish(self.js, frames.FRAME_CAPTURED, event, msg_id=upload.upload_id,
                        camera=camera),
            try_publish(self.js, sensors.SENSOR_READING, reading,
                        msg_id=f"{upload.upload_id}.sky", camera=camera,
                        sensor=sensors.SKY_SENSOR))
        return event

    async def run(self, sub: JetStreamContext.PullSubscription, stop: asyncio.Event) -> None:
        await consume(sub, stop, self.index, "uploads", model=ingest.UploadReceived,
                      batch=BATCH, concurrency=self.pool.workers,
                      order_key=lambda upload: upload.camera)


async def start_uploads(ctx: ServiceContext[CaptureSettings]) -> UploadIndexer:
    """The hub's part of capture: the frames index of uploads, no camera loop."""
    ctx.settings.data_dir.mkdir(parents=True, exist_ok=True)
    meta = await open_metadata(ctx.settings.resolved_metadata_url)
    ctx.stack.push_async_callback(meta.close)
    blobs = open_blobs(ctx.settings)
    for fields in FRAMES_INDEX.indexes:
        await meta.ensure_index(FRAMES_INDEX.name, list(fields))
    # one frame is one worker thread's work: OpenCV's own threads would not be niced
    cv2.setNumThreads(1)
    indexer = UploadIndexer(ctx.settings, meta, blobs, ctx.js, ctx.bus)
    ctx.stack.callback(indexer.pool.close)
    # the frames index of every uploading camera, on the bus (and answering pings)
    svc = await BusService.start(ctx.nc, "capture", "Frames uploaded to the hub: the index")
    ctx.stack.push_async_callback(svc.stop)
    await serve_index(svc, FrameIndex(meta, blobs, ""), hub=True)
    sub = await open_uploads_consumer(ctx.js)
    stop = asyncio.Event()
    task = asyncio.create_task(indexer.run(sub, stop), name="capture-uploads")

    async def stop_task() -> None:
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 10)

    ctx.stack.push_async_callback(stop_task)
    log.info("indexing uploaded frames")
    return indexer

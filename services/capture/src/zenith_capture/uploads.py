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

Indexing (decode, sky metrics, thumbnail: about 0.04-0.06 s of CPU for a
1920 px frame that comes without its node's metrics,
``bench/capture/skymetrics.py``; a few milliseconds for one with) is the
hub's heaviest work per upload, and the upload was acknowledged already, so
it yields to the uploads still being received: it runs in idle worker
processes, or niced threads (:mod:`zenith_capture.index_pools`), frames of
different cameras at once (``capture_index_workers``), each camera's in
order. While web is busy, the index falls behind and catches up when it is
not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import cv2
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
from zenith.runner import ServiceContext
from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_blobs, open_metadata
from zenith.storage.metadata import MetadataStore
from zenith.storage.staging import unstage
from zenith.timefmt import utcnow
from zenith_capture.astro import Site, is_night, night_of, sun_altitude
from zenith_capture.frames_index import FrameIndex, mark_stale, serve_index
from zenith_capture.index_pools import IdleIndex, IndexPool, idle_supported
from zenith_capture.index_work import IndexJob, IndexResult, Meters, index_frame
from zenith_capture.settings import CaptureSettings
from zenith_capture.upload_metrics import reported_metrics

log = logging.getLogger("zenith.capture.uploads")

DURABLE = "capture-uploads"
BATCH = 8
SITE_TTL_S = 300.0


@dataclass
class _CameraSite:
    site: Site
    fetched: float

    @property
    def location(self) -> tuple[float, float, float]:
        return (self.site.latitude, self.site.longitude, self.site.elevation)


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
        self.pool = IndexPool(settings.capture_index_workers, settings.capture_index_nice)
        self.meters = Meters(settings)  # the threads'; each worker process has its own
        self.idle = IdleIndex(settings, self.pool, self._index_here) \
            if settings.capture_index_idle and idle_supported() else None
        self._sites: dict[str, _CameraSite] = {}

    async def _site(self, camera: str) -> _CameraSite:
        cached = self._sites.get(camera)
        if cached is not None and time.monotonic() - cached.fetched < SITE_TTL_S:
            return cached
        cam = await self.bus.request(network.CAMERA_GET, {"camera": camera})
        loc = cam.location
        found = _CameraSite(Site(loc.latitude, loc.longitude, loc.elevation), time.monotonic())
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
        night_date = night_of(taken, where.site.longitude, night)
        exposure = float(upload.meta.get("exposure_s", 0.0) or 0.0)
        gain = float(upload.meta.get("gain", 1.0) or 1.0)
        stamp = frames.frame_stamp(taken)
        key = frames.frame_key(camera, night_date, stamp)
        thumb_key = frames.frame_thumb_key(camera, night_date, stamp)

        job = IndexJob(
            camera=camera, location=where.location, part_key=part.key,
            part_width=part.width, part_height=part.height,
            reported=reported_metrics(upload.meta), taken_at=taken, exposure_s=exposure,
            gain=gain, sun_altitude=sun, key=key, thumb_key=thumb_key,
            thumb_width=self.settings.capture_thumb_width)
        try:
            done = await (self.idle.run(job) if self.idle is not None
                          else self.pool.run(lambda: self._index_here(job)))
        except NotFound:
            log.warning("upload %s: its staged frame is gone (indexed before, or swept): "
                        "dropped", upload.upload_id)
            return None
        metrics, thumb_size, width, height, size = (
            done.metrics, done.thumb_size, done.width, done.height, done.size)
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

    def _index_here(self, job: IndexJob) -> IndexResult:
        return index_frame(job, self.blobs, self.meters)

    def close(self) -> None:
        if self.idle is not None:
            self.idle.close()
        self.pool.close()

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
    ctx.stack.callback(indexer.close)
    if indexer.idle is not None:
        await indexer.idle.start()
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

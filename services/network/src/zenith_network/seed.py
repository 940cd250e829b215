"""``zenith hub seed``: a data dir filled with synthetic history, fast.

For page development and benchmarks: ``cameras`` cameras at places over the
globe (registry entries with a location, hardware and an owner), and for
each of the last ``days`` nights a few tiny JPEG frames (indexed, with
thumbnails), the night's keogram, startrails and timelapse, each month's
keogram and timelapse, and readings (the sky metrics of each frame, an
hourly temperature and humidity) in the SeriesStore.

The stack must be stopped: the seeder writes the stores directly, through
the collections, document models and blob-key helpers of
:mod:`zenith.contracts` (the camera documents as the registry writes them),
so a hub started on the data dir serves it like history it made itself.
Re-running it rewrites the same documents (ids are derived, not random).
"""

from __future__ import annotations

import asyncio
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import cv2
import numpy as np

from zenith.config import Settings
from zenith.contracts import frames, products
from zenith.contracts import network as c
from zenith.contracts.frames import FRAMES_INDEX, NIGHT_TOTALS, FrameDoc, NightTotalsDoc
from zenith.contracts.network import CAMERAS
from zenith.contracts.products import PRODUCTS_INDEX, ProductDoc
from zenith.contracts.sensors import SKY_SENSOR
from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_from_settings
from zenith.storage.metadata import MetadataStore
from zenith.storage.series import Point
from zenith.timefmt import to_iso
from zenith_network.registry import to_doc as camera_doc
from zenith_network.simulate import PLACES, tiny_video

FRAME_HOURS = (22.0, 1.0, 4.0)  # local solar time of the night's frames
NIGHT_KINDS = ("keogram", "startrails", "timelapse")
MONTH_KINDS = ("monthly-keogram", "monthly-timelapse")
ENV_SENSOR = "bme280"


PUT_CHUNK = 256  # documents handed to the store at once
WRITERS = 4  # threads writing the blobs (the filesystem's latency, not CPU)


def _write(blobs: BlobStore, key: str, data: bytes) -> None:
    """A blob at its BlobStore path, without the store's fsync per file: synthetic
    history is cheap to make again, and a year of it is a few hundred thousand files."""
    path = blobs.path(key)
    try:
        path.write_bytes(data)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@dataclass
class Batch:
    """A camera's documents and blobs, written together: the documents a chunk at a
    time (the store's worker runs them back to back), the blobs by a few threads."""

    docs: list[tuple[str, dict[str, Any]]]
    files: list[tuple[str, bytes]]

    async def flush(self, meta: MetadataStore, blobs: BlobStore,
                    pool: ThreadPoolExecutor) -> None:
        loop = asyncio.get_running_loop()
        writing = [loop.run_in_executor(pool, _write_many, blobs, self.files[n::WRITERS])
                   for n in range(WRITERS)]
        for start in range(0, len(self.docs), PUT_CHUNK):
            await asyncio.gather(*(meta.put(collection, doc) for collection, doc
                                   in self.docs[start:start + PUT_CHUNK]))
        await asyncio.gather(*writing)
        self.docs.clear()
        self.files.clear()


def _write_many(blobs: BlobStore, files: list[tuple[str, bytes]]) -> None:
    for key, data in files:
        _write(blobs, key, data)


@dataclass(frozen=True)
class Media:
    frame: bytes
    thumb: bytes
    image: bytes
    video: bytes


def tiny_jpeg(width: int, height: int, level: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    img = np.full((height, width, 3), level, np.uint8)
    ys, xs = rng.integers(0, height, 20), rng.integers(0, width, 20)
    img[ys, xs] = 255
    ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 70])
    assert ok
    return bytes(data.tobytes())


def media() -> Media:
    return Media(frame=tiny_jpeg(160, 120, 12, 1), thumb=tiny_jpeg(40, 30, 12, 2),
                 image=tiny_jpeg(96, 64, 30, 3), video=tiny_video())


def place(n: int) -> tuple[str, float, float, str]:
    """Camera ``n``'s place: one of the simulator's, moved a little per lap."""
    name, lat, lon, tz = PLACES[n % len(PLACES)]
    lap = n // len(PLACES)
    return (f"{name} {lap + 1}" if lap else name, max(-89.0, min(89.0, lat + 0.37 * lap)),
            ((lon + 0.53 * lap + 180) % 360) - 180, tz)


def camera_id(n: int) -> str:
    return f"seed-{n:03d}"


async def _put_camera(meta: MetadataStore, n: int, now: datetime, days: int) -> c.Camera:
    site, lat, lon, tz = place(n)
    created = now - timedelta(days=days + 1)
    cam = c.Camera(id=camera_id(n), code=f"SEED{n:03d}", name=f"Seeded camera {n} ({site})",
                   site=site, owners=[f"owner-{n % 10}"],
                   location=c.Location(latitude=lat, longitude=lon, timezone=tz,
                                       precision="10km", elevation=10.0 * (n % 50)),
                   hardware=c.Hardware(camera="ZWO ASI224MC", lens="Fujinon 1.8mm",
                                       computer="Raspberry Pi 5"),
                   created_at=created, updated_at=created, last_upload_at=now - timedelta(
                       hours=2), online=False, status_changed_at=now - timedelta(hours=2))
    await meta.put(CAMERAS.name, camera_doc(cam))
    return cam


def _utc(night: date, solar_hour: float, longitude: float) -> datetime:
    """The UTC instant of a local solar hour of ``night`` (after midnight: the next day)."""
    day = datetime(night.year, night.month, night.day, tzinfo=UTC)
    hours = solar_hour + (24.0 if solar_hour < 12 else 0.0) - longitude / 15.0
    return day + timedelta(hours=hours)


def _seed_night(batch: Batch, media_: Media, cam: c.Camera, night: date,
                points: list[Point]) -> int:
    night_s = night.isoformat()
    lon = cam.location.longitude
    written = 0
    for n, hour in enumerate(FRAME_HOURS):
        taken = _utc(night, hour, lon)
        stamp = frames.frame_stamp(taken)
        key = frames.frame_key(cam.id, night_s, stamp)
        thumb = frames.frame_thumb_key(cam.id, night_s, stamp)
        batch.files += [(key, media_.frame), (thumb, media_.thumb)]
        sqm = 21.0 + 0.5 * math.sin(night.toordinal() / 29.5 * 2 * math.pi) + 0.1 * n
        metrics = {"mean": 0.05, "stars": 150 + 10 * n, "sqm": round(sqm, 2),
                   "cloud_cover": round(0.5 + 0.5 * math.sin(night.toordinal() + n), 2)}
        doc = FrameDoc(id=f"{cam.id}-{stamp}", camera=cam.id, night=night_s, taken_at=taken,
                       is_night=True, key=key, thumb_key=thumb, width=160, height=120,
                       size=len(media_.frame), thumb_size=len(media_.thumb), exposure_s=30.0,
                       gain=200.0, sun_altitude=-30.0, source="seed", metrics=metrics,
                       created_at=taken)
        batch.docs.append((FRAMES_INDEX.name, FRAMES_INDEX.to_doc(doc)))
        points.append(Point(SKY_SENSOR, taken, {k: float(v) for k, v in metrics.items()},
                            {"camera": cam.id}))
        written += 2
    # capture recounts a stale night when asked (its data size: frames.nights)
    totals = NightTotalsDoc(id=frames.night_totals_id(cam.id, night_s), camera=cam.id,
                            night=night_s, stale=True, rev=f"seed-{time.time_ns()}")
    batch.docs.append((NIGHT_TOTALS.name, NIGHT_TOTALS.to_doc(totals)))
    end = _utc(night, 6.0, lon)
    for hour in range(18, 31, 2):
        when = _utc(night, float(hour % 24), lon)
        temp = 10 + 8 * math.cos((night.toordinal() - 200) / 365 * 2 * math.pi) - 0.3 * hour
        points.append(Point(ENV_SENSOR, when, {"temperature": round(temp, 2),
                                               "humidity": 70.0 + hour % 7},
                            {"camera": cam.id}))
    for kind in NIGHT_KINDS:
        written += _product(batch, media_, cam.id, night_s, kind, len(FRAME_HOURS), end)
    return written


def _product(batch: Batch, media_: Media, camera: str, night: str, kind: str,
             frame_count: int, when: datetime) -> int:
    spec = products.KIND[kind]
    key = products.product_key(camera, night, kind)
    thumb = products.thumb_key(camera, night, kind)
    data = media_.video if spec.content_type.startswith("video/") else media_.image
    batch.files += [(key, data), (thumb, media_.thumb)]
    stamp = to_iso(when)
    doc = ProductDoc(id=products.product_id(camera, night, kind), camera=camera, kind=kind,
                     night=night, key=key, thumb_key=thumb, content_type=spec.content_type,
                     frames=frame_count, final=True, size=len(data), created_at=stamp,
                     updated_at=stamp, meta={"seeded": True})
    batch.docs.append((PRODUCTS_INDEX.name, PRODUCTS_INDEX.to_doc(doc)))
    return 2


async def seed(settings: Settings, *, cameras: int, days: int,
               today: date | None = None) -> dict[str, Any]:
    """Write the history; returns counts and the time it took."""
    started = time.perf_counter()
    meta, series, blobs = await open_from_settings(settings)
    media_ = media()
    now = datetime.now(UTC)
    last = (today or now.date()) - timedelta(days=1)  # the last finished night
    nights = [last - timedelta(days=d) for d in range(days - 1, -1, -1)]
    files = 0
    readings = 0
    pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="zenith-seed")
    batch = Batch([], [])
    try:
        # no indexes here: each owner ensures its own (with its options) when it starts
        for n in range(cameras):
            cam = await _put_camera(meta, n, now, days)
            points: list[Point] = []
            months: dict[str, int] = {}
            for night in nights:
                files += _seed_night(batch, media_, cam, night, points)
                month = night.replace(day=1).isoformat()
                months[month] = months.get(month, 0) + len(FRAME_HOURS)
            for month, count in months.items():
                when = _utc(date.fromisoformat(month), 12.0, cam.location.longitude)
                for kind in MONTH_KINDS:
                    files += _product(batch, media_, cam.id, month, kind, count, when)
            await batch.flush(meta, blobs, pool)
            for start in range(0, len(points), 5000):
                await series.write(points[start:start + 5000])
            readings += len(points)
    finally:
        pool.shutdown()
        await series.close()
        await meta.close()
    return {"cameras": cameras, "days": days, "files": files, "readings": readings,
            "seconds": round(time.perf_counter() - started, 1)}

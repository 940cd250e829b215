"""Helpers for the products tests: settings, a night of frames, product events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from nats.aio.client import Client
from nats.js import JetStreamContext

from tests.services.products.synth import SkySynth, frame_event, jpeg_bytes, mean_of, publish_frame
from zenith.config import load_settings
from zenith.contracts.frames import FrameCaptured
from zenith.contracts.products import PRODUCT_READY, ProductReady
from zenith.runner import service_context
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore
from zenith_products.service import serve
from zenith_products.settings import ProductsSettings

CAMERA = "cam-1"
NIGHT = "2026-11-21"
START = datetime(2026, 11, 21, 19, 40, tzinfo=UTC)
FAST = {
    "products_discover_interval_s": 0.2,
    "products_checkpoint_frames": 4,
    "products_checkpoint_s": 0.5,
    "products_refresh_frames": 0,
    "products_segment_frames": 6,
    "products_mini_frames": 0,
    "products_lease_ttl_s": 3.0,
    "products_retention_interval_s": 0,
    "products_finalise_grace_s": 3600,
    "products_thumb_width": 64,
}


def make_settings(nats_url: str, data_dir: Path, **overrides: Any) -> ProductsSettings:
    return load_settings(ProductsSettings, env={}, camera=CAMERA, nats_url=nats_url,
                         data_dir=data_dir, **{**FAST, **overrides})


@contextlib.asynccontextmanager
async def running(settings: ProductsSettings) -> AsyncIterator[Any]:
    """The products service in this process, until the block ends."""
    async with service_context("products", settings, serve) as ctx:
        yield ctx


@dataclass
class Frame:
    event: FrameCaptured
    data: bytes | None
    image: np.ndarray | None = None


@dataclass
class Night:
    """Frames of one synthetic night, ``interval`` apart, from ``START``."""

    camera: str = CAMERA
    night: str = NIGHT
    width: int = 320
    height: int = 240
    start: datetime = START
    interval: timedelta = timedelta(minutes=5)
    sky: SkySynth = field(init=False)

    def __post_init__(self) -> None:
        self.sky = SkySynth(self.width, self.height, stars=60, seed=3)

    def frame(self, index: int, *, level: float = 0.03, dots: list[tuple[int, int]] | None = None,
              is_night: bool = True, frame_id: str | None = None, keep_image: bool = False,
              image: np.ndarray | None = None, data: bytes | None = None,
              night: str | None = None, **extra: Any) -> Frame:
        img = image if image is not None else self.sky.frame(index, level=level, dots=dots)
        payload = data if data is not None else jpeg_bytes(img)
        fid = frame_id or f"{self.camera}-{self.night}-{index:04d}"
        key = f"frames/{self.camera}/{night or self.night}/{fid}.jpg"
        event = frame_event(self.camera, night or self.night, fid,
                            self.start + index * self.interval, key, img.shape[1], img.shape[0],
                            mean=mean_of(img), is_night=is_night, **extra)
        return Frame(event, payload, img if keep_image else None)

    def frames(self, count: int, **kwargs: Any) -> list[Frame]:
        return [self.frame(i, **kwargs) for i in range(count)]

    def sunrise(self, index: int) -> Frame:
        """A day frame after the night (it ends the night)."""
        return self.frame(index, level=0.6, is_night=False, night=self.next_day,
                          frame_id=f"{self.camera}-day-{index:04d}")

    @property
    def next_day(self) -> str:
        return (datetime.fromisoformat(self.night) + timedelta(days=1)).date().isoformat()


async def publish(js: JetStreamContext, blobs: BlobStore, frames: list[Frame],
                  meta: MetadataStore | None = None) -> None:
    for f in frames:
        await publish_frame(js, blobs, f.event, f.data, meta)


class ProductEvents:
    """Collects product.ready events from the bus (plain subscription)."""

    def __init__(self) -> None:
        self.events: list[ProductReady] = []
        self._changed = asyncio.Event()

    @classmethod
    async def listen(cls, nc: Client, camera: str = CAMERA) -> ProductEvents:
        events = cls()

        async def on(msg: Any) -> None:
            events.events.append(ProductReady.model_validate_json(msg.data))
            events._changed.set()

        await nc.subscribe(PRODUCT_READY.wildcard(camera=camera), cb=on)
        await nc.flush()
        return events

    def final(self, night: str = NIGHT) -> dict[str, ProductReady]:
        return {e.kind: e for e in self.events if e.final and e.night == night}

    async def wait_final(self, kinds: tuple[str, ...] = ("keogram", "startrails", "timelapse"),
                         night: str = NIGHT, timeout: float = 60.0) -> dict[str, ProductReady]:
        async def done() -> dict[str, ProductReady]:
            while not all(k in self.final(night) for k in kinds):
                self._changed.clear()
                await self._changed.wait()
            return self.final(night)

        return await asyncio.wait_for(done(), timeout)

    async def wait(self, predicate: Any, timeout: float = 60.0) -> ProductReady:
        async def find() -> ProductReady:
            while True:
                for e in self.events:
                    if predicate(e):
                        return e
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)


async def wait_status(bus: Any, predicate: Any, camera: str = CAMERA,
                      timeout: float = 60.0) -> Any:
    """Ask the status endpoint until ``predicate(reply)`` holds."""
    from zenith.contracts.products import STATUS

    async def poll() -> Any:
        while True:
            reply = await bus.request(STATUS, {}, camera=camera)
            if predicate(reply):
                return reply
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(poll(), timeout)


def read_image(blobs: BlobStore, key: str) -> np.ndarray:
    import cv2

    img = cv2.imdecode(np.frombuffer(blobs.read_bytes(key), np.uint8), cv2.IMREAD_COLOR)
    assert img is not None, f"{key} is not an image"
    return img


def top_level_atoms(data: bytes) -> list[str]:
    """The MP4's top-level box types in file order."""
    atoms, pos = [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
        elif size == 0:
            size = len(data) - pos
        atoms.append(kind)
        pos += size
    return atoms

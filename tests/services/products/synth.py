"""Helpers for the products tests and benchmark: a synthetic night sky and
real frame events (not installed with any service).

:class:`SkySynth` draws all-sky frames: a round field of view, sensor
noise, stars turning about the pole from frame to frame, and a sky
background level that sets the frame's mean brightness (twilight, moon).
:func:`publish_frame` stores a JPEG in the BlobStore, optionally its row in
the frames index (the test's arrangement of what the capture service saved:
the capture service itself then serves it), and publishes the
``frame.captured`` event with its ``Nats-Msg-Id`` header, exactly as the
capture service does.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import cv2
import numpy as np
from nats.js import JetStreamContext

from zenith.contracts.frames import FRAME_CAPTURED, FRAMES_INDEX, FrameCaptured, FrameDoc
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore
from zenith_capture.frames_index import mark_stale


class SkySynth:
    def __init__(self, width: int = 1280, height: int = 960, stars: int = 300,
                 seed: int = 7, noise: float = 3.0) -> None:
        self.width = width
        self.height = height
        rng = np.random.default_rng(seed)
        radius = min(width, height) * 0.48
        self.centre = (width / 2.0, height / 2.0)
        self.radius = radius
        self.star_r = radius * np.sqrt(rng.uniform(0.0, 1.0, stars))
        self.star_a = rng.uniform(0.0, 2 * math.pi, stars)
        self.star_b = rng.uniform(90, 255, stars).astype(np.int32)
        self.noise = [rng.normal(0.0, noise, (height, width, 3)).astype(np.int16)
                      for _ in range(3)]
        mask = np.zeros((height, width), np.uint8)
        cv2.circle(mask, (int(self.centre[0]), int(self.centre[1])), int(radius), 255, -1)
        self.mask = mask

    def frame(self, index: int, level: float = 0.03, turn_deg: float = 0.25,
              dots: list[tuple[int, int]] | None = None) -> np.ndarray:
        """Frame ``index``: background ``level`` (0..1), stars turned by
        ``index * turn_deg``, plus extra bright ``dots`` (x, y)."""
        base = self.noise[index % len(self.noise)] + round(level * 255)
        img = np.clip(base, 0, 255).astype(np.uint8)
        angle = math.radians(index * turn_deg)
        xs = self.centre[0] + self.star_r * np.cos(self.star_a + angle)
        ys = self.centre[1] + self.star_r * np.sin(self.star_a + angle)
        for x, y, b in zip(xs.astype(int), ys.astype(int), self.star_b, strict=True):
            cv2.circle(img, (int(x), int(y)), 1, (int(b), int(b), int(b)), -1)
        for x, y in dots or []:
            cv2.circle(img, (x, y), 3, (255, 255, 255), -1)
        return cv2.bitwise_and(img, img, mask=self.mask)


def jpeg_bytes(bgr: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def mean_of(bgr: np.ndarray) -> float:
    return float(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).mean()) / 255.0


def frame_event(camera: str, night: str, frame_id: str, taken_at: datetime, key: str,
                width: int, height: int, mean: float = 0.05, is_night: bool = True,
                **extra: Any) -> FrameCaptured:
    return FrameCaptured(camera=camera, frame_id=frame_id, taken_at=taken_at, night=night,
                         is_night=is_night, key=key, width=width, height=height,
                         exposure_s=extra.pop("exposure_s", 30.0), gain=extra.pop("gain", 1.0),
                         mean=mean, **extra)


async def publish_event(js: JetStreamContext, event: FrameCaptured,
                        msg_id: str | None = None) -> int:
    """Publish a frame event (Nats-Msg-Id = frame_id); returns its stream sequence
    (0 when JetStream dropped it as a duplicate)."""
    ack = await js.publish(FRAME_CAPTURED.subject_for(camera=event.camera),
                           event.model_dump_json().encode(),
                           headers={"Nats-Msg-Id": msg_id or event.frame_id})
    return 0 if ack.duplicate else ack.seq


def frame_doc(event: FrameCaptured) -> FrameDoc:
    """The index document the capture service saves with ``event``."""
    return FrameDoc(id=event.frame_id, camera=event.camera, night=event.night,
                    taken_at=event.taken_at, is_night=event.is_night, key=event.key,
                    thumb_key=event.thumb_key, width=event.width, height=event.height,
                    bit_depth=event.bit_depth, size=event.size or 0,
                    exposure_s=event.exposure_s, gain=event.gain,
                    sun_altitude=event.sun_altitude, source=event.source,
                    metrics={"mean": event.mean}, created_at=event.taken_at)


async def publish_frame(js: JetStreamContext | None, blobs: BlobStore, event: FrameCaptured,
                        data: bytes | None, meta: MetadataStore | None = None) -> int:
    """Store the frame's file (None: leave it missing), index it, announce it."""
    if data is not None:
        blobs.write_bytes(event.key, data)
    if meta is not None:
        await meta.put(FRAMES_INDEX.name, FRAMES_INDEX.to_doc(frame_doc(event)))
        await mark_stale(meta, event.camera, event.night)  # as capture's own writers do
    return await publish_event(js, event) if js is not None else 0

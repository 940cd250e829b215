"""Meteor candidates from detection to the store, and ``capture.METEORS``.

:meth:`MeteorSearch.find` (in the frame's analysis thread) runs the
detector on a night frame and encodes each candidate's parts (JPEG):
``crop`` (the streak cut out of the frame), ``marked`` (the frame, at most
``MARKED_WIDTH`` wide, the streak circled) and ``diff`` (the difference
image around it). :meth:`MeteorSearch.save` writes them under
``ingest.meteor_key`` and the document (``ingest.MeteorDoc``: the shape a
hub keeps uploaded candidates in) into ``capture.CAPTURE_METEORS``; a
candidate the next frame reveals as a satellite or aircraft track is
deleted again. A day frame breaks the chain (the next night frame has no
previous one). Each save and each withdrawal is announced as
``capture.METEOR_CHANGED`` (the METEORS stream), which the uplink sends to the hub.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
from nats.js import JetStreamContext

from zenith.bus.events import try_publish
from zenith.bus.service import BusService, Call
from zenith.contracts import capture, ingest
from zenith.contracts.capture import CAPTURE_METEORS, METEOR_CHANGED, MeteorChanged, MeteorRecord
from zenith.contracts.ingest import MeteorDoc
from zenith.errors import ConfigError
from zenith.imaging.decode import Image
from zenith.imaging.encode import encode_jpeg
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import to_iso, utcnow
from zenith_capture.lens import lens_for
from zenith_capture.meteors import Candidate, MeteorDetector
from zenith_capture.settings import CaptureSettings

log = logging.getLogger("zenith.capture.meteors")
PAD_PX = 24
MARKED_WIDTH = 1024
QUALITY = 90


@dataclass
class Found:
    candidate: Candidate
    parts: dict[str, bytes]


@dataclass
class Finds:
    found: list[Found] = field(default_factory=list)
    withdrawn: list[Candidate] = field(default_factory=list)


def load_mask(path: Path | None) -> np.ndarray | None:
    """The owner's mask of static lights (white = ignore), as booleans."""
    if path is None:
        return None
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise ConfigError(f"ZENITH_CAPTURE_METEOR_MASK: {path} is not a readable image")
    return np.asarray(mask > 127)


class MeteorSearch:
    def __init__(self, settings: CaptureSettings, meta: MetadataStore, blobs: BlobStore,
                 js: JetStreamContext | None = None) -> None:
        self.settings = settings
        self.js = js
        self.meta = meta
        self.blobs = blobs
        self.camera = settings.camera
        self.mask = load_mask(settings.capture_meteor_mask)
        self.detector: MeteorDetector | None = None
        self._ids: dict[int, tuple[str, str]] = {}  # id(candidate) -> (night, candidate
        # id), last frame's

    async def setup(self) -> None:
        for fields in CAPTURE_METEORS.indexes:
            await self.meta.ensure_index(CAPTURE_METEORS.name, list(fields))

    def find(self, image: Image, picture: np.ndarray, taken_at: datetime, is_night: bool
             ) -> Finds | None:
        if not is_night:
            if self.detector is not None:
                self.detector.reset()
            return None
        if self.detector is None:
            self.detector = MeteorDetector(
                lens_for(self.settings, image.width, image.height), self.mask,
                self.settings.capture_meteor_min_length_px)
        result = self.detector.detect(image, taken_at)
        finds = Finds(withdrawn=result.withdrawn)
        for cand in result.candidates:
            finds.found.append(Found(cand, self._parts(cand, picture)))
        return finds

    @staticmethod
    def _parts(c: Candidate, picture: np.ndarray) -> dict[str, bytes]:
        h, w = picture.shape[:2]
        x, y, bw, bh = c.bbox
        x0, y0 = max(0, x - PAD_PX), max(0, y - PAD_PX)
        x1, y1 = min(w, x + bw + PAD_PX), min(h, y + bh + PAD_PX)
        crop = np.ascontiguousarray(picture[y0:y1, x0:x1])
        scale = min(1.0, MARKED_WIDTH / w)
        marked = picture.copy() if picture.ndim == 3 else cv2.cvtColor(picture,
                                                                       cv2.COLOR_GRAY2BGR)
        cx, cy = (c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2
        cv2.circle(marked, (round(cx), round(cy)), round(c.length_px / 2 + PAD_PX),
                   (0, 0, 255), 2, lineType=cv2.LINE_AA)
        if scale < 1.0:
            marked = cv2.resize(marked, (round(w * scale), round(h * scale)),
                                interpolation=cv2.INTER_AREA)
        return {"crop": encode_jpeg(crop, QUALITY), "marked": encode_jpeg(marked, QUALITY),
                "diff": encode_jpeg(np.ascontiguousarray(c.diff), QUALITY)}

    async def save(self, finds: Finds, night: str, frame_id: str) -> list[MeteorDoc]:
        for old in finds.withdrawn:
            known = self._ids.get(id(old))
            if known is not None:
                doc_id = capture.meteor_id(self.camera, *known)
                await self.meta.delete(CAPTURE_METEORS.name, {"_id": doc_id})
                log.info("meteor candidate %s withdrawn: a track across frames", doc_id)
                await self._announce(MeteorChanged(
                    camera=self.camera, night=known[0], candidate_id=known[1],
                    change="withdrawn", at=utcnow()))
        ids: dict[int, tuple[str, str]] = {}
        saved: list[MeteorDoc] = []
        for n, f in enumerate(finds.found):
            c = f.candidate
            candidate_id = f"{frame_id}-{n}"
            parts = {}
            for part, data in f.parts.items():
                key = ingest.meteor_key(self.camera, night, candidate_id, part, "jpg")
                await self.blobs.awrite_bytes(key, data)
                parts[part] = key
            record = MeteorRecord(taken_at=c.taken_at, frame_id=frame_id, x0=round(c.x0, 1),
                                  y0=round(c.y0, 1), x1=round(c.x1, 1), y1=round(c.y1, 1),
                                  length_px=round(c.length_px, 1),
                                  width_px=round(c.width_px, 2), peak=round(c.peak, 5),
                                  brightness=round(c.brightness, 4))
            doc = MeteorDoc(id=capture.meteor_id(self.camera, night, candidate_id),
                            camera=self.camera,
                            day=night, candidate_id=candidate_id, parts=parts,
                            candidate=record.model_dump(mode="json"),
                            received_at=to_iso(utcnow()))
            await self.meta.put(CAPTURE_METEORS.name, CAPTURE_METEORS.to_doc(doc))
            ids[id(c)] = (night, candidate_id)
            saved.append(doc)
            await self._announce(MeteorChanged(
                camera=self.camera, night=night, candidate_id=candidate_id, change="saved",
                record=record, parts=parts, at=utcnow()))
            log.info("meteor candidate %s: %.0f px at (%.0f, %.0f)", doc.id, c.length_px,
                     (c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2)
        self._ids = ids
        return saved

    async def _announce(self, change: MeteorChanged) -> None:
        if self.js is not None:
            await try_publish(self.js, METEOR_CHANGED, change,
                              msg_id=f"{change.change}.{change.night}.{change.candidate_id}",
                              camera=self.camera, change=change.change)

    async def list(self, night: str) -> ingest.MeteorList:
        docs = await self.meta.find(CAPTURE_METEORS.name, {"camera": self.camera, "day": night})
        found = sorted((CAPTURE_METEORS.from_doc(d) for d in docs),
                       key=lambda d: str(d.candidate.get("taken_at", "")))
        return ingest.MeteorList(camera=self.camera, day=night, candidates=found)


async def serve_meteors(svc: BusService, search: MeteorSearch) -> None:
    async def handle(call: Call[capture.MeteorNight]) -> ingest.MeteorList:
        return await search.list(call.body.night)

    await svc.serve(capture.METEORS, handle)

"""The frames index (``zenith.contracts.frames.FRAMES_INDEX``): capture is its
only writer, and answers every other service's questions about it.

- :meth:`FrameIndex.add` records a saved frame;
- :meth:`FrameIndex.list` pages through a night's frames by time taken
  (``frames.LIST``: products re-rendering a night);
- :meth:`FrameIndex.nights` lists nights with their frame counts and sizes
  (``frames.NIGHTS``: retention, an owner's data size);
- :meth:`FrameIndex.delete` removes a night's frames, files first, then
  index rows, except the blobs it is told to keep (``frames.DELETE``:
  retention). A crash between the two leaves rows without files, which the
  next delete removes.
"""

from __future__ import annotations

import logging
from typing import Any

from zenith.bus.service import BusService, Call
from zenith.contracts import frames
from zenith.contracts.frames import FRAMES_INDEX, FrameDoc
from zenith.ids import validate_camera_id
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import to_iso

log = logging.getLogger("zenith.capture.index")
PAGE = 500


class FrameIndex:
    def __init__(self, meta: MetadataStore, blobs: BlobStore, camera: str) -> None:
        self.meta = meta
        self.blobs = blobs
        self.camera = camera

    async def setup(self) -> None:
        for fields in FRAMES_INDEX.indexes:
            await self.meta.ensure_index(FRAMES_INDEX.name, list(fields))

    async def add(self, doc: FrameDoc) -> None:
        await self.meta.insert(FRAMES_INDEX.name, FRAMES_INDEX.to_doc(doc))

    async def list(self, req: frames.FrameList) -> frames.Frames:
        flt: dict[str, Any] = {"camera": self.camera, "night": req.night}
        if req.night_only:
            flt["is_night"] = True
        if req.after is not None:
            flt["taken_at"] = {"$gt": to_iso(req.after)}
        docs = await self.meta.find(FRAMES_INDEX.name, flt, sort=[("taken_at", 1)],
                                    limit=req.limit + 1)
        found = [FRAMES_INDEX.from_doc(d) for d in docs[:req.limit]]
        return frames.Frames(frames=found, more=len(docs) > req.limit)

    async def latest(self, camera: str, req: frames.LatestFrames) -> frames.Frames:
        """The newest frames of ``camera`` (on a hub any camera; on a node its own)."""
        docs = await self.meta.find(FRAMES_INDEX.name, {"camera": camera},
                                    sort=[("taken_at", -1)], limit=req.limit)
        return frames.Frames(frames=[FRAMES_INDEX.from_doc(d) for d in docs], more=False)

    async def nights(self, req: frames.NightsQuery) -> frames.Nights:
        out: list[frames.NightSummary] = []
        after = req.after or ""
        while len(out) < req.limit:
            flt: dict[str, Any] = {"camera": self.camera, "night": {"$gt": after}}
            doc = await self.meta.find_one(FRAMES_INDEX.name, flt, sort=[("night", 1)])
            night = doc.get("night") if doc else None
            if not isinstance(night, str) or (req.before is not None and night >= req.before):
                break
            count, size = 0, 0
            for row in await self.meta.find(FRAMES_INDEX.name,
                                            {"camera": self.camera, "night": night}):
                count += 1
                size += int(row.get("size") or 0) + int(row.get("thumb_size") or 0)
            out.append(frames.NightSummary(night=night, frames=count, bytes=size))
            after = night
        return frames.Nights(nights=out)

    async def delete(self, req: frames.FrameDelete) -> frames.FramesDeleted:
        keep = set(req.keep)
        deleted, kept, freed = 0, 0, 0
        last = ""
        while True:
            page = await self.meta.find(
                FRAMES_INDEX.name,
                {"camera": self.camera, "night": req.night, "_id": {"$gt": last}},
                sort=[("_id", 1)], limit=PAGE)
            if not page:
                break
            last = str(page[-1]["_id"])
            doomed = []
            for doc in page:
                keys = [k for k in (doc.get("key"), doc.get("thumb_key")) if isinstance(k, str)]
                if keep.intersection(keys):
                    kept += 1
                    continue
                doomed.append(doc["_id"])
                for key in keys:
                    freed += self._delete_blob(key, req.dry_run)
            if doomed and not req.dry_run:
                await self.meta.delete(FRAMES_INDEX.name, {"_id": {"$in": doomed}})
            deleted += len(doomed)
            if len(page) < PAGE:
                break
        if deleted and not req.dry_run:
            log.info("deleted %d frames of %s (%.1f MB), kept %d", deleted, req.night,
                     freed / 1e6, kept)
        return frames.FramesDeleted(deleted=deleted, kept=kept, bytes=freed)

    def _delete_blob(self, key: str, dry_run: bool) -> int:
        try:
            size = self.blobs.size(key)
        except (FileNotFoundError, OSError):
            return 0
        if not dry_run:
            self.blobs.delete(key)
        return size


async def serve_index(svc: BusService, index: FrameIndex, hub: bool = False) -> None:
    """Serve the index's endpoints on ``svc`` (the capture micro service); on a
    hub (``hub``) those of every uploading camera, the camera taken from the
    subject."""
    position = frames.LATEST.subject.split(".").index("{camera}")

    def index_of(call: Call[Any]) -> FrameIndex:
        if not hub:
            return index
        camera = validate_camera_id(call.subject.split(".")[position])
        return FrameIndex(index.meta, index.blobs, camera)

    async def latest(call: Call[frames.LatestFrames]) -> frames.Frames:
        camera = validate_camera_id(call.subject.split(".")[position])
        return await index.latest(camera, call.body)

    async def list_frames(call: Call[frames.FrameList]) -> frames.Frames:
        return await index_of(call).list(call.body)

    async def nights(call: Call[frames.NightsQuery]) -> frames.Nights:
        return await index_of(call).nights(call.body)

    async def delete(call: Call[frames.FrameDelete]) -> frames.FramesDeleted:
        return await index_of(call).delete(call.body)

    if hub:
        await svc.serve(frames.LIST, list_frames, camera="*")
        await svc.serve(frames.NIGHTS, nights, camera="*")
        await svc.serve(frames.DELETE, delete, camera="*")
        await svc.serve(frames.LATEST, latest, camera="*")
    else:
        await svc.serve(frames.LIST, list_frames)
        await svc.serve(frames.NIGHTS, nights)
        await svc.serve(frames.DELETE, delete)
        await svc.serve(frames.LATEST, latest)

"""The frames index (``zenith.contracts.frames.FRAMES_INDEX``): capture is its
only writer, and answers every other service's questions about it.

- :meth:`FrameIndex.add` records a saved frame;
- :meth:`FrameIndex.list` pages through a night's frames by time taken
  (``frames.LIST``: products re-rendering a night);
- :meth:`FrameIndex.nights` lists nights with their frame counts and sizes
  (``frames.NIGHTS``: retention, an owner's data size) from the per-night
  totals (``frames.NIGHT_TOTALS``): every write or delete of a night's
  frames marks its totals stale (:func:`mark_stale`), and a stale night is
  recounted from the index when asked, so a year is ~365 small documents
  and the one or two nights that changed since the last question. The
  recount stores its result only if no writer marked the night again
  meanwhile (compare-and-set on ``rev``), so concurrent writers and hub
  replicas never leave a wrong total behind; nights of an index that has
  no totals yet are marked at start (:meth:`FrameIndex.setup`);
- :meth:`FrameIndex.delete` removes a night's frames, files first, then
  index rows, except the blobs it is told to keep (``frames.DELETE``:
  retention). A crash between the two leaves rows without files, which the
  next delete removes.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from zenith.bus.service import BusService, Call
from zenith.contracts import frames
from zenith.contracts.frames import FRAMES_INDEX, NIGHT_TOTALS, FrameDoc, night_totals_id
from zenith.errors import DuplicateKey, NotFound
from zenith.ids import new_id, validate_camera_id
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import to_iso

log = logging.getLogger("zenith.capture.index")
PAGE = 500


async def mark_stale(meta: MetadataStore, camera: str, night: str) -> None:
    """Frames of ``camera``'s ``night`` were written or deleted: recount it when asked."""
    doc_id = night_totals_id(camera, night)
    change = {"stale": True, "rev": new_id()}
    if await meta.update(NIGHT_TOTALS.name, {"_id": doc_id}, set=change) is not None:
        return
    doc = NIGHT_TOTALS.to_doc(frames.NightTotalsDoc(id=doc_id, camera=camera, night=night))
    try:
        await meta.insert(NIGHT_TOTALS.name, {**doc, **change})
    except DuplicateKey:
        await meta.update(NIGHT_TOTALS.name, {"_id": doc_id}, set=change)


async def recount(meta: MetadataStore, totals: dict[str, Any]) -> frames.NightSummary:
    """Count a stale night's frames from the index; store the count unless a
    writer marked the night again meanwhile (then it stays stale)."""
    camera, night = str(totals["camera"]), str(totals["night"])
    count, size = 0, 0
    for row in await meta.find(FRAMES_INDEX.name, {"camera": camera, "night": night}):
        count += 1
        size += int(row.get("size") or 0) + int(row.get("thumb_size") or 0)
    same = {"_id": totals["_id"], "rev": totals.get("rev")}
    if count == 0:
        await meta.delete(NIGHT_TOTALS.name, same)
    else:
        await meta.update(NIGHT_TOTALS.name, same,
                          set={"frames": count, "bytes": size, "stale": False})
    return frames.NightSummary(night=night, frames=count, bytes=size)


class FrameIndex:
    def __init__(self, meta: MetadataStore, blobs: BlobStore, camera: str) -> None:
        self.meta = meta
        self.blobs = blobs
        self.camera = camera

    async def setup(self) -> None:
        for fields in FRAMES_INDEX.indexes:
            await self.meta.ensure_index(FRAMES_INDEX.name, list(fields))
        for fields in NIGHT_TOTALS.indexes:
            await self.meta.ensure_index(NIGHT_TOTALS.name, list(fields))
        await self.mark_untotalled()

    async def mark_untotalled(self) -> int:
        """Mark stale every night of the index without totals (an index older
        than the totals, or written by ``zenith hub seed``); how many."""
        started = time.perf_counter()
        cameras = [self.camera] if self.camera else await self._cameras()
        marked = 0
        for camera in cameras:
            known = {str(d["night"]) for d in await self.meta.find(NIGHT_TOTALS.name,
                                                                   {"camera": camera})}
            after = ""
            while True:
                doc = await self.meta.find_one(
                    FRAMES_INDEX.name, {"camera": camera, "night": {"$gt": after}},
                    sort=[("night", 1)])
                night = doc.get("night") if doc else None
                if not isinstance(night, str):
                    break
                if night not in known:
                    await mark_stale(self.meta, camera, night)
                    marked += 1
                after = night
        if marked:
            log.info("%d nights without totals marked for a recount (%.0f ms)", marked,
                     (time.perf_counter() - started) * 1000)
        return marked

    async def _cameras(self) -> list[str]:
        found: list[str] = []
        while True:
            flt: dict[str, Any] = {"camera": {"$gt": found[-1]}} if found else {}
            doc = await self.meta.find_one(FRAMES_INDEX.name, flt, sort=[("camera", 1)])
            camera = doc.get("camera") if doc else None
            if not isinstance(camera, str):
                return found
            found.append(camera)

    async def add(self, doc: FrameDoc) -> None:
        await self.meta.insert(FRAMES_INDEX.name, FRAMES_INDEX.to_doc(doc))
        await mark_stale(self.meta, doc.camera, doc.night)

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
            span: dict[str, Any] = {"$gt": after}
            if req.before is not None:
                span["$lt"] = req.before
            want = req.limit - len(out)
            page = await self.meta.find(NIGHT_TOTALS.name,
                                        {"camera": self.camera, "night": span},
                                        sort=[("night", 1)], limit=want)
            for doc in page:
                if doc.get("stale"):
                    summary = await recount(self.meta, doc)
                else:
                    summary = frames.NightSummary(night=doc["night"], frames=doc["frames"],
                                                  bytes=doc["bytes"])
                if summary.frames:
                    out.append(summary)
            if len(page) < want:
                break
            after = str(page[-1]["night"])
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
                await mark_stale(self.meta, self.camera, req.night)
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
        except (NotFound, OSError):  # gone already (a delete that crashed half-way)
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
        await index.setup()  # the totals of every camera's nights
        await svc.serve(frames.LIST, list_frames, camera="*")
        await svc.serve(frames.NIGHTS, nights, camera="*")
        await svc.serve(frames.DELETE, delete, camera="*")
        await svc.serve(frames.LATEST, latest, camera="*")
    else:
        await svc.serve(frames.LIST, list_frames)
        await svc.serve(frames.NIGHTS, nights)
        await svc.serve(frames.DELETE, delete)
        await svc.serve(frames.LATEST, latest)

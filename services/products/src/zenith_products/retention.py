"""Retention: delete old frames and nightly products, never a highlight.

Two rules, applied in order:

1. keep-days per type: frames, videos (timelapse, mini-timelapse), keograms
   and startrails of nights older than the setting (0 keeps them for ever);
2. high-water mark: while the blob disk is fuller than
   ``products_disk_high_water`` % (or the store is larger than
   ``products_disk_max_bytes``), delete the oldest night's frames, then its
   videos, keograms and startrails, then the next night's...

Frames belong to the capture service: retention asks it which nights have
frames (``frames.NIGHTS``) and to delete a night's frames
(``frames.DELETE``), naming the frames it must keep. Highlights belong to
the network service: before anything is deleted, retention asks it which
of the blob keys a highlight names (``network.HIGHLIGHTS_REFERENCED``), and
keeps those (blob and index row). Where no network service runs (a node
that belongs to no hub) there are no highlights; with
``products_highlights_required`` (a hub) retention deletes nothing while the
network service does not answer.

Nights being built (a work folder exists) are left alone. Monthly and
yearly products are not subject to retention. Index rows go with their
blobs (blob first, so a crash leaves at worst a row without a file, which
the next run removes).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, get_args

from zenith.bus.client import BusClient
from zenith.contracts import frames, network
from zenith.contracts.products import INDEX, WORK_ROOT, RetentionGroup, kinds_in
from zenith.errors import Unavailable, ZenithError
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import Doc, MetadataStore
from zenith.timefmt import utcnow
from zenith_products.metrics import RETENTION, RETENTION_BYTES
from zenith_products.settings import ProductsSettings

log = logging.getLogger("zenith.products.retention")
FRAMES_GROUP = "frames"  # the report's name for frames, beside the retention groups
TYPES = {group: kinds_in(group) for group in get_args(RetentionGroup)}
PAGE = 500
ASK_KEYS = 1000  # keys per HIGHLIGHTS_REFERENCED request


class HighlightsUnknown(Exception):
    """The network service did not say which keys are highlighted: delete nothing."""


@dataclass
class Report:
    deleted: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    bytes: int = 0
    kept_highlighted: int = 0
    high_water: bool = False
    dry_run: bool = False
    skipped: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"deleted": dict(self.deleted), "rows": self.rows, "bytes": self.bytes,
                "kept_highlighted": self.kept_highlighted, "high_water": self.high_water,
                "dry_run": self.dry_run, "skipped": self.skipped}


def store_bytes(blobs: BlobStore) -> int:
    total = 0
    for dirpath, _, files in os.walk(blobs.root):
        for name in files:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_size
            except FileNotFoundError:
                continue
    return total


class Retention:
    def __init__(self, settings: ProductsSettings, meta: MetadataStore, blobs: BlobStore,
                 bus: BusClient, dry_run: bool = False) -> None:
        self.s = settings
        self.meta = meta
        self.blobs = blobs
        self.bus = bus
        self.report = Report(dry_run=dry_run)
        self.open_nights: set[tuple[str, str]] = set()
        self.cameras: list[str] = []
        self._store_bytes: int | None = None

    async def run(self, today: date | None = None) -> Report:
        today = today or utcnow().astimezone(self.s.tz).date()
        self.open_nights = self._open_nights()
        self.cameras = await self._cameras()
        days = {FRAMES_GROUP: self.s.products_keep_frames_days,
                "videos": self.s.products_keep_videos_days,
                "keograms": self.s.products_keep_keograms_days,
                "startrails": self.s.products_keep_startrails_days}
        try:
            for kind, keep in days.items():
                if keep > 0:
                    cutoff = (today - timedelta(days=keep)).isoformat()
                    await self._delete_type(kind, before=cutoff)
            await self._high_water()
        except HighlightsUnknown as exc:
            self.report.skipped = str(exc)
            log.warning("retention: nothing more deleted: %s", exc)
        r = self.report
        log.info("retention: %s rows, %.1f MB freed, %s kept as highlights%s",
                 r.rows, r.bytes / 1e6, r.kept_highlighted, " (dry run)" if r.dry_run else "")
        return r

    # -- who and what ----------------------------------------------------------

    async def _cameras(self) -> list[str]:
        """This node's camera, and on a hub every camera of the registry."""
        cameras = [self.s.camera]
        try:
            listed = await self.bus.request(network.CAMERA_LIST, network.CameraQuery())
        except ZenithError:
            return cameras
        return cameras + sorted({c.id for c in listed.cameras} - {self.s.camera})

    def _open_nights(self) -> set[tuple[str, str]]:
        base = self.blobs.path(WORK_ROOT)
        found = set()
        if base.is_dir():
            for camera in base.iterdir():
                nights = camera / "nights"
                if nights.is_dir():
                    found |= {(camera.name, n.name) for n in nights.iterdir() if n.is_dir()}
        return found

    async def _highlighted(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` a highlight names, as the network service says."""
        wanted = sorted(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), ASK_KEYS):
            try:
                reply = await self.bus.request(
                    network.HIGHLIGHTS_REFERENCED,
                    network.KeysQuery(keys=wanted[start:start + ASK_KEYS]))
            except Unavailable as exc:
                if exc.code == "no_responders" and not self.s.products_highlights_required:
                    return found  # no network service: no highlights
                raise HighlightsUnknown(f"the network service did not answer ({exc.message})") \
                    from None
            except ZenithError as exc:
                raise HighlightsUnknown(f"the network service refused: {exc.message}") from None
            found |= set(reply.referenced)
        return found

    # -- the rules -------------------------------------------------------------

    def _over(self) -> bool:
        total, used, _ = self.blobs.usage()
        if total and used * 100.0 / total > self.s.products_disk_high_water:
            return True
        if self.s.products_disk_max_bytes:
            if self._store_bytes is None:
                self._store_bytes = store_bytes(self.blobs)
            return self._store_bytes > self.s.products_disk_max_bytes
        return False

    async def _high_water(self) -> None:
        after = ""
        while self._over():
            self.report.high_water = True
            night = await self._oldest_night(after)
            if night is None:
                log.warning("retention: over the high-water mark but nothing more may go")
                return
            for kind in (FRAMES_GROUP, *TYPES):
                await self._delete_type(kind, night=night)
                if not self._over():
                    return
            after = night

    async def _frame_nights(self, camera: str, query: frames.NightsQuery) -> list[str]:
        """Nights with frames of ``camera``; none when no capture service keeps
        that camera's frames (nothing is deleted then)."""
        try:
            reply = await self.bus.request(frames.NIGHTS, query, camera=camera)
        except Unavailable as exc:
            if exc.code != "no_responders":
                raise
            log.warning("retention: no capture service answers for camera %s; its frames "
                        "stay", camera)
            self.cameras.remove(camera)
            return []
        return [n.night for n in reply.nights]

    async def _oldest_night(self, after: str) -> str | None:
        nights = []
        for camera in list(self.cameras):
            nights += await self._frame_nights(camera, frames.NightsQuery(after=after or None,
                                                                          limit=1))
        kinds = [k for ks in TYPES.values() for k in ks]
        doc = await self.meta.find_one(INDEX, {"kind": {"$in": kinds}, "night": {"$gt": after}},
                                       sort=[("night", 1)])
        if doc and isinstance(doc.get("night"), str):
            nights.append(doc["night"])
        return min(nights) if nights else None

    async def _delete_type(self, kind: str, *, before: str | None = None,
                           night: str | None = None) -> None:
        if kind == FRAMES_GROUP:
            await self._delete_frames(before=before, night=night)
            return
        flt: dict[str, Any] = {"kind": {"$in": TYPES[kind]}}
        flt["night"] = night if night is not None else {"$lt": before}
        last = ""
        while True:
            page = await self.meta.find(INDEX, {**flt, "_id": {"$gt": last}},
                                        sort=[("_id", 1)], limit=PAGE)
            if not page:
                return
            last = page[-1]["_id"]
            highlighted = await self._highlighted(
                k for d in page for k in (d.get("key"), d.get("thumb_key")) if isinstance(k, str))
            doomed = [doc for doc in page if self._may_delete(doc, highlighted)]
            await self._delete_docs(kind, doomed)
            if len(page) < PAGE:
                return

    def _may_delete(self, doc: Doc, highlighted: set[str]) -> bool:
        if (doc.get("camera"), doc.get("night")) in self.open_nights:
            return False
        keys = [doc.get("key"), doc.get("thumb_key")]
        if any(k in highlighted for k in keys if isinstance(k, str)):
            self.report.kept_highlighted += 1
            return False
        return True

    async def _delete_frames(self, *, before: str | None, night: str | None) -> None:
        for camera in list(self.cameras):
            if night is not None:
                nights = [night]
            else:
                nights = await self._frame_nights(camera, frames.NightsQuery(before=before,
                                                                             limit=1000))
            for one in nights:
                if (camera, one) not in self.open_nights:
                    await self._delete_night_frames(camera, one)

    async def _delete_night_frames(self, camera: str, night: str) -> None:
        keys: list[str] = []
        after = None
        while True:
            page = await self.bus.request(frames.LIST, frames.FrameList(night=night, after=after),
                                          camera=camera)
            keys += [k for f in page.frames for k in (f.key, f.thumb_key) if k]
            if not page.more or not page.frames:
                break
            after = page.frames[-1].taken_at
        if not keys:
            return
        keep = await self._highlighted(keys)
        done = await self.bus.request(frames.DELETE, frames.FrameDelete(
            night=night, keep=sorted(keep), dry_run=self.report.dry_run), camera=camera)
        self.report.deleted[FRAMES_GROUP] += done.deleted
        self.report.rows += done.deleted
        self.report.bytes += done.bytes
        self.report.kept_highlighted += done.kept
        if not self.report.dry_run:
            RETENTION.labels(FRAMES_GROUP).inc(done.deleted)
            RETENTION_BYTES.inc(done.bytes)
        if self._store_bytes is not None:
            self._store_bytes -= done.bytes

    async def _delete_docs(self, kind: str, docs: list[Doc]) -> None:
        if not docs:
            return
        freed = 0
        for doc in docs:
            for key in (doc.get("key"), doc.get("thumb_key")):
                if not isinstance(key, str) or not key:
                    continue
                try:
                    size = self.blobs.size(key)
                except Exception:
                    continue
                if not self.report.dry_run:
                    self.blobs.delete(key)
                    RETENTION.labels(kind).inc()
                freed += size
        if not self.report.dry_run:
            await self.meta.delete(INDEX, {"_id": {"$in": [d["_id"] for d in docs]}})
        self.report.deleted[kind] += len(docs)
        self.report.rows += len(docs)
        self.report.bytes += freed
        if not self.report.dry_run:
            RETENTION_BYTES.inc(freed)
        if self._store_bytes is not None:
            self._store_bytes -= freed

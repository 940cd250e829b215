"""Retention: delete old frames and nightly products, never a highlight.

Two rules, applied in order:

1. keep-days per type: frames (``frames`` collection), videos (timelapse,
   mini-timelapse), keograms and startrails of nights older than the
   setting (0 keeps them for ever);
2. high-water mark: while the blob disk is fuller than
   ``products_disk_high_water`` % (or the store is larger than
   ``products_disk_max_bytes``), delete the oldest night's frames, then its
   videos, keograms and startrails, then the next night's...

A blob that a document of ``highlights`` names in ``key`` is never deleted,
nor is its index row; nights being built (a work folder exists) are left
alone. Monthly and yearly products are not subject to retention. Index rows
go with their blobs (blob first, so a crash leaves at worst a row without a
file, which the next run removes).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from zenith.contracts.products import HIGHLIGHTS, INDEX
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import Doc, MetadataStore
from zenith.timefmt import utcnow
from zenith_products.metrics import RETENTION, RETENTION_BYTES
from zenith_products.settings import ProductsSettings

log = logging.getLogger("zenith.products.retention")
FRAMES = "frames"
TYPES = {"videos": ["timelapse", "mini-timelapse"], "keograms": ["keogram"],
         "startrails": ["startrails"]}
PAGE = 500


@dataclass
class Report:
    deleted: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    bytes: int = 0
    kept_highlighted: int = 0
    high_water: bool = False
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"deleted": dict(self.deleted), "rows": self.rows, "bytes": self.bytes,
                "kept_highlighted": self.kept_highlighted, "high_water": self.high_water,
                "dry_run": self.dry_run}


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
                 dry_run: bool = False) -> None:
        self.s = settings
        self.meta = meta
        self.blobs = blobs
        self.report = Report(dry_run=dry_run)
        self.highlights: set[str] = set()
        self.open_nights: set[tuple[str, str]] = set()
        self._store_bytes: int | None = None

    async def run(self, today: date | None = None) -> Report:
        today = today or utcnow().astimezone(self.s.tz).date()
        self.highlights = {d["key"] for d in await self.meta.find(HIGHLIGHTS)
                           if isinstance(d.get("key"), str)}
        self.open_nights = self._open_nights()
        days = {FRAMES: self.s.products_keep_frames_days,
                "videos": self.s.products_keep_videos_days,
                "keograms": self.s.products_keep_keograms_days,
                "startrails": self.s.products_keep_startrails_days}
        for kind, keep in days.items():
            if keep > 0:
                cutoff = (today - timedelta(days=keep)).isoformat()
                await self._delete_type(kind, {"night": {"$lt": cutoff}})
        await self._high_water()
        r = self.report
        log.info("retention: %s rows, %.1f MB freed, %s kept as highlights%s",
                 r.rows, r.bytes / 1e6, r.kept_highlighted, " (dry run)" if r.dry_run else "")
        return r

    def _open_nights(self) -> set[tuple[str, str]]:
        base = self.blobs.path("work/products")
        found = set()
        if base.is_dir():
            for camera in base.iterdir():
                nights = camera / "nights"
                if nights.is_dir():
                    found |= {(camera.name, n.name) for n in nights.iterdir() if n.is_dir()}
        return found

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
            for kind in (FRAMES, "videos", "keograms", "startrails"):
                await self._delete_type(kind, {"night": night})
                if not self._over():
                    return
            after = night

    async def _oldest_night(self, after: str) -> str | None:
        nights = []
        kinds = [k for ks in TYPES.values() for k in ks]
        for collection, flt in ((FRAMES, {}), (INDEX, {"kind": {"$in": kinds}})):
            doc = await self.meta.find_one(collection, {**flt, "night": {"$gt": after}},
                                           sort=[("night", 1)])
            if doc and isinstance(doc.get("night"), str):
                nights.append(doc["night"])
        return min(nights) if nights else None

    async def _delete_type(self, kind: str, flt: dict[str, Any]) -> None:
        collection = FRAMES if kind == FRAMES else INDEX
        if kind != FRAMES:
            flt = {**flt, "kind": {"$in": TYPES[kind]}}
        last = ""
        while True:
            page = await self.meta.find(collection, {**flt, "_id": {"$gt": last}},
                                        sort=[("_id", 1)], limit=PAGE)
            if not page:
                return
            last = page[-1]["_id"]
            doomed = [doc for doc in page if self._may_delete(doc)]
            await self._delete_docs(kind, collection, doomed)
            if len(page) < PAGE:
                return

    def _may_delete(self, doc: Doc) -> bool:
        if (doc.get("camera"), doc.get("night")) in self.open_nights:
            return False
        keys = [doc.get("key"), doc.get("thumb_key")]
        if any(k in self.highlights for k in keys if isinstance(k, str)):
            self.report.kept_highlighted += 1
            return False
        return True

    async def _delete_docs(self, kind: str, collection: str, docs: list[Doc]) -> None:
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
            await self.meta.delete(collection, {"_id": {"$in": [d["_id"] for d in docs]}})
        self.report.deleted[kind] += len(docs)
        self.report.rows += len(docs)
        self.report.bytes += freed
        if not self.report.dry_run:
            RETENTION_BYTES.inc(freed)
        if self._store_bytes is not None:
            self._store_bytes -= freed

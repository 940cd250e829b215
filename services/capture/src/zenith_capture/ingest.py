"""Which files the folder driver has handled, in the MetadataStore.

Collection ``capture_ingest``, one document per camera and file:
``_id`` = ``<camera>:<path>``, the file's size and modification time, its
sha256, ``status`` (``ingested`` or ``rejected``), the reason and the
frame id. A file is delivered again only when it changes; a new file with
the content of an ingested one is a duplicate.
"""

from __future__ import annotations

from zenith.contracts.capture import INGEST_LEDGER
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import to_iso, utcnow

COLLECTION = INGEST_LEDGER.name


class IngestLedger:
    def __init__(self, metadata: MetadataStore, camera: str) -> None:
        self.metadata = metadata
        self.camera = camera

    async def setup(self) -> None:
        await self.metadata.ensure_index(COLLECTION, ["camera", "sha256"])

    async def known(self) -> dict[str, tuple[int, int]]:
        docs = await self.metadata.find(COLLECTION, {"camera": self.camera})
        return {d["path"]: (int(d["size"]), int(d["mtime_ns"])) for d in docs
                if "path" in d and "size" in d and "mtime_ns" in d}

    async def duplicate_of(self, digest: str) -> str | None:
        doc = await self.metadata.find_one(
            COLLECTION, {"camera": self.camera, "sha256": digest, "status": "ingested"})
        return str(doc["path"]) if doc else None

    async def record(self, path: str, signature: tuple[int, int] | None, *, status: str,
                     digest: str | None = None, reason: str | None = None,
                     frame_id: str | None = None) -> None:
        size, mtime_ns = signature or (0, 0)
        await self.metadata.put(COLLECTION, {
            "_id": f"{self.camera}:{path}", "camera": self.camera, "path": path,
            "size": size, "mtime_ns": mtime_ns, "sha256": digest, "status": status,
            "reason": reason, "frame_id": frame_id, "at": to_iso(utcnow()),
        })

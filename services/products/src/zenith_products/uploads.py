"""On a hub: nightly products and meteor candidates that cameras upload.

A durable consumer (``products-uploads``, shared by the replicas) on the
INGEST stream's ``product`` and ``meteor`` uploads gives the staged parts
their own keys (hard links: no copy) and indexes them, and then removes the
staged names (``zenith.storage.staging``):

- a nightly product goes into the products index *beside* the hub's own
  product of that night and kind (``ingest.uploaded_product_id``), with
  ``meta.source = "camera"`` and the keys of its other sizes; a new upload of
  the same night and kind replaces it;
- a meteor candidate goes into ``ingest.METEORS`` (one document per camera,
  day and candidate id); a node's withdrawal of it (``meta.withdrawn``)
  removes the document and its parts.

Both writes are by id, so a redelivered upload changes nothing, and an upload
whose staged parts are gone was applied before (the parts go only after its
index write): it is not applied again over a newer upload of the same night.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError

from zenith.bus.pull import consume
from zenith.bus.service import BusService, Call
from zenith.contracts import ingest
from zenith.contracts.products import PRODUCTS_INDEX, ProductDoc
from zenith.runner import ServiceContext
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore
from zenith.storage.staging import unstage
from zenith.timefmt import to_iso, utcnow

log = logging.getLogger("zenith.products.uploads")

DURABLE = "products-uploads"
BATCH = 8
_EXT = {"image/jpeg": "jpg", "video/mp4": "mp4", "video/webm": "webm",
        "application/json": "json"}


async def open_uploads_consumer(js: JetStreamContext) -> JetStreamContext.PullSubscription:
    stream = ingest.UPLOAD_RECEIVED.stream
    try:
        await js.consumer_info(stream, DURABLE)
    except NotFoundError:
        await js.add_consumer(stream, ConsumerConfig(
            name=DURABLE, durable_name=DURABLE,
            description="products: uploaded nightly products and meteor candidates",
            filter_subjects=[ingest.UPLOAD_RECEIVED.wildcard(kind="product"),
                             ingest.UPLOAD_RECEIVED.wildcard(kind="meteor")],
            ack_policy=AckPolicy.EXPLICIT, ack_wait=300, max_ack_pending=64))
    return await js.pull_subscribe_bind(durable=DURABLE, stream=stream)


class UploadedProducts:
    def __init__(self, meta: MetadataStore, blobs: BlobStore) -> None:
        self.meta = meta
        self.blobs = blobs

    async def setup(self) -> None:
        for fields in ingest.METEORS.indexes:
            await self.meta.ensure_index(ingest.METEORS.name, list(fields))

    async def _link(self, source: str, target: str) -> None:
        await asyncio.to_thread(self.blobs.write_link, target, source)

    def _applied(self, upload: ingest.UploadReceived) -> bool:
        """Whether the upload was applied before: a staged part of it is gone."""
        gone = [p.name for p in upload.parts.values() if not self.blobs.exists(p.key)]
        if gone:
            log.info("upload %s applied before (staged %s gone): not again",
                     upload.upload_id, ", ".join(gone))
        return bool(gone)

    async def product(self, upload: ingest.UploadReceived) -> ProductDoc:
        kind = ingest.PRODUCT_OF_ASSET[upload.asset]
        night = upload.night or upload.received_at.date().isoformat()
        keys: dict[str, str] = {}
        for name, part in upload.parts.items():
            target = ingest.uploaded_product_key(upload.camera, night, kind, name,
                                                 _EXT.get(part.content_type, "bin"))
            await self._link(part.key, target)
            keys[name] = target
        main = upload.parts.get("file") or upload.parts.get("fullhd") or upload.parts["thumb"]
        now = to_iso(utcnow())
        doc = ProductDoc(
            id=ingest.uploaded_product_id(upload.camera, night, kind), camera=upload.camera,
            kind=kind, night=night, key=keys[main.name], thumb_key=keys.get("thumb"),
            content_type=main.content_type, frames=0, final=True, size=main.size,
            meta={"source": ingest.UPLOADED_SOURCE, "dialect": upload.dialect,
                  "upload_id": upload.upload_id, "parts": keys,
                  "publish_last": bool(upload.meta.get("publish_last", False)),
                  "width": main.width, "height": main.height, "codec": main.codec},
            created_at=now, updated_at=now)
        await self.meta.put(PRODUCTS_INDEX.name, PRODUCTS_INDEX.to_doc(doc))
        log.info("uploaded %s of %s night %s indexed", kind, upload.camera, night)
        return doc

    async def withdraw(self, upload: ingest.UploadReceived) -> None:
        """A node withdrew a candidate: its document and its parts go."""
        day = upload.day or upload.received_at.date().isoformat()
        doc_id = f"{upload.camera}:{day}:{upload.candidate_id}"
        doc = await self.meta.get(ingest.METEORS.name, doc_id)
        if doc is None:
            return
        for key in ingest.METEORS.from_doc(doc).parts.values():
            self.blobs.delete(key)
        await self.meta.delete(ingest.METEORS.name, {"_id": doc_id})
        log.info("meteor candidate %s withdrawn by its camera", doc_id)

    async def meteor(self, upload: ingest.UploadReceived) -> ingest.MeteorDoc:
        day = upload.day or upload.received_at.date().isoformat()
        candidate = upload.candidate_id or upload.upload_id
        keys: dict[str, str] = {}
        # a Zenith node sends its detector's record in meta; AllSkyKamera a candidate_json
        details: dict[str, object] = dict(upload.meta.get("candidate") or {})
        for name, part in upload.parts.items():
            target = ingest.meteor_key(upload.camera, day, candidate, name,
                                       _EXT.get(part.content_type, "bin"))
            await self._link(part.key, target)
            keys[name] = target
            if name == "candidate_json":
                with contextlib.suppress(ValueError):
                    value = json.loads(await self.blobs.aread_bytes(part.key))
                    details = value if isinstance(value, dict) else {"items": value}
        doc = ingest.MeteorDoc(id=f"{upload.camera}:{day}:{candidate}", camera=upload.camera,
                               day=day, candidate_id=candidate, parts=keys, candidate=details,
                               received_at=to_iso(upload.received_at))
        await self.meta.put(ingest.METEORS.name, ingest.METEORS.to_doc(doc))
        return doc

    async def meteors(self, call: Call[ingest.MeteorQuery]) -> ingest.MeteorList:
        q = call.body
        docs = await self.meta.find(ingest.METEORS.name, {"camera": q.camera, "day": q.day},
                                    sort=[("received_at", 1)], limit=1000)
        return ingest.MeteorList(camera=q.camera, day=q.day,
                                 candidates=[ingest.METEORS.from_doc(d) for d in docs])

    async def serve(self, svc: BusService) -> None:
        await svc.serve(ingest.METEORS_LIST, self.meteors)

    async def apply(self, upload: ingest.UploadReceived) -> None:
        if upload.kind == "meteor" and upload.meta.get(ingest.WITHDRAWN):
            await self.withdraw(upload)
            return
        if await asyncio.to_thread(self._applied, upload):
            pass
        elif upload.kind == "product":
            await self.product(upload)
        elif upload.kind == "meteor":
            await self.meteor(upload)
        await asyncio.to_thread(unstage, self.blobs, upload)

    async def run(self, sub: JetStreamContext.PullSubscription, stop: asyncio.Event) -> None:
        await consume(sub, stop, self.apply, "product uploads", model=ingest.UploadReceived,
                      batch=BATCH)

async def start_product_uploads(ctx: ServiceContext[Any], meta: MetadataStore,
                                blobs: BlobStore) -> UploadedProducts:
    uploads = UploadedProducts(meta, blobs)
    await uploads.setup()
    sub = await open_uploads_consumer(ctx.js)
    stop = asyncio.Event()
    task = asyncio.create_task(uploads.run(sub, stop), name="products-uploads")

    async def stop_task() -> None:
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 10)

    ctx.stack.push_async_callback(stop_task)
    return uploads

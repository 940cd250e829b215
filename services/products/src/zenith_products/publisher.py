"""Index a written product in the MetadataStore and announce it on the bus."""

from __future__ import annotations

import logging
from typing import Any

from nats.js import JetStreamContext

from zenith.bus.events import publish_event
from zenith.contracts.products import INDEX, PRODUCT_READY, PRODUCTS_INDEX, ProductReady, product_id
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import to_iso, utcnow
from zenith_products.artifact import Artifact
from zenith_products.metrics import PRODUCTS

log = logging.getLogger("zenith.products.publish")


def index_doc(camera: str, art: Artifact, created_at: str, updated_at: str) -> dict[str, Any]:
    return {
        "_id": product_id(camera, art.night, art.kind), "camera": camera, "kind": art.kind,
        "night": art.night, "key": art.key, "thumb_key": art.thumb_key,
        "content_type": art.content_type, "frames": art.frames, "final": art.final,
        "size": art.size, "meta": art.meta, "created_at": created_at, "updated_at": updated_at,
    }


class Publisher:
    def __init__(self, meta: MetadataStore, js: JetStreamContext | None) -> None:
        self.meta = meta
        self.js = js

    async def ensure_indexes(self) -> None:
        for fields in PRODUCTS_INDEX.indexes:
            await self.meta.ensure_index(INDEX, list(fields))

    async def publish(self, camera: str, arts: list[Artifact | None],
                      msg_tag: str | None = None) -> list[ProductReady]:
        """Index and announce each product. The announcement's Nats-Msg-Id
        (``camera:night:kind:final`` or ``...:<frames>``, plus ``msg_tag``)
        makes a repeated announcement of the same version a no-op."""
        sent = []
        for art in arts:
            if art is None:
                continue
            now = utcnow()
            doc_id = product_id(camera, art.night, art.kind)
            old = await self.meta.get(INDEX, doc_id)
            created = old.get("created_at") if old else None
            await self.meta.put(INDEX, index_doc(camera, art, created or to_iso(now),
                                                 to_iso(now)))
            event = ProductReady(camera=camera, kind=art.kind, night=art.night, key=art.key,
                                 thumb_key=art.thumb_key, content_type=art.content_type,
                                 frames=art.frames, final=art.final, created_at=now,
                                 meta=art.meta)
            PRODUCTS.labels(camera, art.kind, str(art.final).lower()).inc()
            if self.js is not None:
                version = "final" if art.final else str(art.version or art.frames)
                msg_id = f"{doc_id}:{version}" + (f":{msg_tag}" if msg_tag else "")
                await publish_event(self.js, PRODUCT_READY, event, msg_id=msg_id,
                                    camera=camera, kind=art.kind)
            log.info("%s %s %s: %s (%d frames%s)", camera, art.night, art.kind, art.key,
                     art.frames, ", final" if art.final else "")
            sent.append(event)
        return sent

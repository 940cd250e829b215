"""Deleting one product on request (``products.DELETE``: the owner area).

A product that a highlight names, active or not (network's
``highlights.referenced``, the question retention asks too), is kept. Else
its file and thumbnail go first, then the index row: a crash between the
two leaves a row without files, which a repeated delete removes. When
network does not answer nothing is deleted (503), so a highlight is never
lost to an outage.
"""

from __future__ import annotations

import logging

from zenith.bus.client import BusClient
from zenith.bus.service import BusService, Call
from zenith.contracts import network
from zenith.contracts.products import (
    DELETE,
    PRODUCTS_INDEX,
    ProductDelete,
    ProductDeleted,
    product_id,
)
from zenith.errors import NotFound
from zenith.ids import validate_camera_id
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore

log = logging.getLogger("zenith.products.deletion")


async def delete_product(meta: MetadataStore, blobs: BlobStore, bus: BusClient, camera: str,
                         req: ProductDelete) -> ProductDeleted:
    doc_id = product_id(camera, req.night, req.kind)
    doc = await meta.get(PRODUCTS_INDEX.name, doc_id)
    if doc is None:
        raise NotFound(f"camera {camera} has no {req.kind} of {req.night}",
                       code="product_not_found")
    product = PRODUCTS_INDEX.from_doc(doc)
    keys = [k for k in (product.key, product.thumb_key) if k]
    named = await bus.request(network.HIGHLIGHTS_REFERENCED, network.KeysQuery(keys=keys))
    if named.referenced:
        return ProductDeleted(deleted=False, kept=True)
    freed = 0
    for key in keys:
        try:
            freed += blobs.size(key)
        except OSError:
            continue
        blobs.delete(key)
    await meta.delete(PRODUCTS_INDEX.name, {"_id": doc_id})
    log.info("deleted %s (%.1f MB) on request", doc_id, freed / 1e6)
    return ProductDeleted(deleted=True, bytes=freed)


async def serve_deletion(svc: BusService, meta: MetadataStore, blobs: BlobStore,
                         bus: BusClient) -> None:
    position = DELETE.subject.split(".").index("{camera}")

    async def delete(call: Call[ProductDelete]) -> ProductDeleted:
        camera = validate_camera_id(call.subject.split(".")[position])
        return await delete_product(meta, blobs, bus, camera, call.body)

    await svc.serve(DELETE, delete)

"""Reading the products index for other services (the website): a camera's
products newest night first (:data:`~zenith.contracts.products.LIST`) and
its newest product of each kind (:data:`~zenith.contracts.products.LATEST`).
Every replica answers for every camera, like ``products.status``."""

from __future__ import annotations

import asyncio
from typing import Any

from zenith.bus.service import BusService, Call
from zenith.contracts.base import Empty
from zenith.contracts.products import (
    KINDS,
    LATEST,
    LIST,
    PRODUCTS_INDEX,
    ProductList,
    ProductQuery,
)
from zenith.ids import validate_camera_id
from zenith.storage.metadata import MetadataStore


def _camera(call: Call[Any], subject: str) -> str:
    position = subject.split(".").index("{camera}")
    return validate_camera_id(call.subject.split(".")[position])


async def list_products(meta: MetadataStore, camera: str, req: ProductQuery) -> ProductList:
    flt: dict[str, Any] = {"camera": camera}
    if req.kinds:
        flt["kind"] = {"$in": list(req.kinds)}
    night: dict[str, str] = {}
    if req.from_night is not None:
        night["$gte"] = req.from_night
    if req.to_night is not None:
        night["$lte"] = req.to_night
    if night:
        flt["night"] = night
    docs = await meta.find(PRODUCTS_INDEX.name, flt, sort=[("night", -1), ("kind", 1)],
                           limit=req.limit)
    return ProductList(products=[PRODUCTS_INDEX.from_doc(d) for d in docs])


async def latest_products(meta: MetadataStore, camera: str) -> ProductList:
    # each an index seek on (camera, kind, night), asked together
    docs = await asyncio.gather(*(
        meta.find_one(PRODUCTS_INDEX.name, {"camera": camera, "kind": kind.name},
                      sort=[("night", -1)]) for kind in KINDS))
    found = [PRODUCTS_INDEX.from_doc(doc) for doc in docs if doc is not None]
    found.sort(key=lambda p: p.night, reverse=True)
    return ProductList(products=found)


async def serve_listing(svc: BusService, meta: MetadataStore) -> None:
    async def listing(call: Call[ProductQuery]) -> ProductList:
        return await list_products(meta, _camera(call, LIST.subject), call.body)

    async def latest(call: Call[Empty]) -> ProductList:
        return await latest_products(meta, _camera(call, LATEST.subject))

    await svc.serve(LIST, listing)
    await svc.serve(LATEST, latest)

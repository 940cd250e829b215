"""``products.METEOR_SIZES``: how many meteor candidates a camera uploaded to
the hub, and the bytes of their parts, per day (an owner's data size).

One query for the camera's candidates (a year is a few thousand documents)
and one ``stat`` per part; a part whose file is gone counts 0 bytes.
"""

from __future__ import annotations

import asyncio

from zenith.bus.service import BusService, Call
from zenith.contracts import ingest, products
from zenith.errors import NotFound
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore


class MeteorSizes:
    def __init__(self, meta: MetadataStore, blobs: BlobStore) -> None:
        self.meta = meta
        self.blobs = blobs

    def _size(self, key: str) -> int:
        try:
            return self.blobs.size(key)
        except (NotFound, OSError):
            return 0

    async def sizes(self, camera: str) -> products.MeteorSizes:
        docs = await self.meta.find(ingest.METEORS.name, {"camera": camera}, sort=[("day", 1)])

        def measure() -> dict[str, list[int]]:
            days: dict[str, list[int]] = {}
            for doc in docs:
                entry = days.setdefault(str(doc["day"]), [0, 0])
                entry[0] += 1
                entry[1] += sum(self._size(k) for k in (doc.get("parts") or {}).values()
                                if isinstance(k, str))
            return days

        days = await asyncio.to_thread(measure)
        return products.MeteorSizes(camera=camera, days=[
            products.MeteorDaySize(day=d, candidates=n, bytes=b) for d, (n, b) in days.items()])

    async def answer(self, call: Call[products.MeteorSizesQuery]) -> products.MeteorSizes:
        return await self.sizes(call.body.camera)

    async def serve(self, svc: BusService) -> None:
        await svc.serve(products.METEOR_SIZES, self.answer)

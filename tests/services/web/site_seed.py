"""Products for the website tests, indexed and announced by the products
service's own publisher and written to the shared BlobStore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from zenith.bus.connect import connect
from zenith.contracts.products import INDEX, KIND, product_key, thumb_key
from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_metadata
from zenith_products.artifact import Artifact
from zenith_products.publisher import Publisher


def jpeg(width: int, height: int, shade: int = 60) -> bytes:
    image = np.full((height, width, 3), shade, np.uint8)
    cv2.putText(image, "zenith", (4, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                (220, 220, 220), 1)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return bytes(data)


def mp4_stub() -> bytes:
    """Not a playable video: bytes to serve (the tests check headers and ranges)."""
    return b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


async def seed_products(products_settings: Any, blob_dir: Path, camera: str,
                        items: list[tuple[str, str]]) -> None:
    """Index ``(night, kind)`` products of ``camera`` with their files."""
    blobs = BlobStore(blob_dir)
    arts = []
    for night, kind in items:
        key = product_key(camera, night, kind)
        data = jpeg(480, 120) if KIND[kind].content_type == "image/jpeg" else mp4_stub()
        blobs.write_bytes(key, data)
        thumb = thumb_key(camera, night, kind)
        blobs.write_bytes(thumb, jpeg(240, 60))
        arts.append(Artifact(kind=kind, night=night, key=key, thumb_key=thumb, frames=100,
                             final=True, size=len(data)))
    meta = await open_metadata(products_settings.resolved_metadata_url)
    nc = await connect(products_settings.nats_url, name="zenith-web-tests-seed")
    try:  # announced (product.ready) as the products service does: web's cache hears it
        await Publisher(meta, nc.jetstream()).publish(camera, list(arts))
    finally:
        await nc.close()
        await meta.close()


async def unindex_products(products_settings: Any, camera: str, kind: str) -> int:
    """Take every ``kind`` product of ``camera`` out of the products index (the
    package's products service is shared: an earlier test may have indexed one)."""
    meta = await open_metadata(products_settings.resolved_metadata_url)
    try:
        return await meta.delete(INDEX, {"camera": camera, "kind": kind})
    finally:
        await meta.close()

"""Stable latest URLs: /cameras/<id>/latest/<file> from capture's and products'
endpoints and the shared BlobStore; ETag, Last-Modified, 304, CORS, 404."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.services.web.site_seed import seed_products
from tests.services.web.webstack import CAMERA, WebUnderTest
from zenith.bus.client import BusClient
from zenith.contracts import frames, products
from zenith.errors import BadRequest

pytestmark = [pytest.mark.asyncio(loop_scope="package"),
              pytest.mark.usefixtures("capture_service")]


async def wait_for_frame(bus: BusClient) -> frames.FrameDoc:
    for _ in range(240):
        found = await bus.request(frames.LATEST, frames.LatestFrames(), camera=CAMERA)
        if found.frames:
            return found.frames[0]
        await asyncio.sleep(0.5)
    raise AssertionError("capture saved no frame in 120 s")


async def test_latest_image_is_the_newest_frame_with_validators_and_cors(
        web: WebUnderTest, bus: BusClient) -> None:
    frame = await wait_for_frame(bus)
    client = web.remote()
    async with client.get(f"/cameras/{CAMERA}/latest/image.jpg") as resp:
        assert resp.status == 200
        assert resp.content_type == "image/jpeg"
        body = await resp.read()
        assert body[:2] == b"\xff\xd8"
        etag, modified = resp.headers["ETag"], resp.headers["Last-Modified"]
        assert resp.headers["Cache-Control"] == "public, max-age=60"
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert resp.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    newest = await bus.request(frames.LATEST, frames.LatestFrames(limit=5), camera=CAMERA)
    assert newest.frames[0].taken_at >= frame.taken_at
    assert [f.taken_at for f in newest.frames] == sorted(
        (f.taken_at for f in newest.frames), reverse=True)
    async with client.get(f"/cameras/{CAMERA}/latest/image.jpg",
                          headers={"If-None-Match": etag}) as resp:
        assert resp.status in (200, 304)  # 200 only if a newer frame came meanwhile
        if resp.status == 304:
            assert not await resp.read()
    async with client.get(f"/cameras/{CAMERA}/latest/image.jpg",
                          headers={"If-Modified-Since": modified}) as resp:
        assert resp.status in (200, 304)
    async with client.head(f"/cameras/{CAMERA}/latest/image.jpg") as resp:
        assert resp.status == 200


async def test_latest_products_ranges_and_empty_states(
        web: WebUnderTest, products_service: Any, blob_dir: Path, bus: BusClient) -> None:
    client = web.remote()
    for file in ("keogram.jpg", "image.jpg"):
        async with client.get(f"/cameras/nothing-yet/latest/{file}") as resp:
            assert resp.status == 404
            assert (await resp.json())["error"]["code"] == "not_yet"
    await seed_products(products_service, blob_dir, CAMERA,
                        [("2026-11-02", "keogram"), ("2026-11-02", "timelapse")])
    seeded = "seeded"  # a camera only these products belong to
    await seed_products(products_service, blob_dir, seeded,
                        [("2026-11-01", "keogram"), ("2026-11-02", "keogram"),
                         ("2026-11-02", "timelapse"), ("2026-11-01", "startrails")])
    async with client.get(f"/cameras/{CAMERA}/latest/keogram.jpg") as resp:
        assert resp.status == 200 and resp.content_type == "image/jpeg"
        etag = resp.headers["ETag"]
    async with client.get(f"/cameras/{CAMERA}/latest/keogram.jpg",
                          headers={"If-None-Match": etag}) as resp:
        assert resp.status == 304
        assert resp.headers["Cache-Control"] == "public, max-age=60"
    async with client.get(f"/cameras/{CAMERA}/latest/timelapse.mp4",
                          headers={"Range": "bytes=0-99"}) as resp:
        assert resp.status == 206 and resp.content_type == "video/mp4"
        assert len(await resp.read()) == 100
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
    for path in (f"/cameras/{CAMERA}/latest/sqm.png", f"/cameras/{CAMERA}/latest/..",
                 "/cameras/Not_A_Camera/latest/image.jpg"):
        async with client.get(path) as resp:
            assert resp.status == 404, path
    # the products endpoints behind it
    latest = await bus.request(products.LATEST, {}, camera=seeded)
    assert {p.kind: p.night for p in latest.products} == {
        "keogram": "2026-11-02", "timelapse": "2026-11-02", "startrails": "2026-11-01"}
    listed = await bus.request(products.LIST, products.ProductQuery(kinds=["keogram"]),
                               camera=seeded)
    assert [p.night for p in listed.products] == ["2026-11-02", "2026-11-01"]
    ranged = await bus.request(products.LIST, products.ProductQuery(
        from_night="2026-11-02", to_night="2026-11-02"), camera=seeded)
    assert sorted(p.kind for p in ranged.products) == ["keogram", "timelapse"]
    with pytest.raises(BadRequest):
        await bus.request(products.LIST, {"kinds": ["nonsense"]}, camera=seeded)

"""Select data: a month and type, Show; download the selection as one zip
streamed as it is built (a 320 MiB selection, 2 GiB with
ZENITH_TEST_ZIP_MIB=2048, with the process's RSS flat); delete with a
confirmation naming the count, through capture, keeping what an active
highlight names."""

from __future__ import annotations

import asyncio
import io
import os
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.services.web.ownerstack import Hub, csrf_of, session_of, start_hub
from tests.services.web.site_seed import seed_products
from tests.services.web.test_web_latest import wait_for_frame
from tests.services.web.webstack import CAMERA
from zenith.bus.client import BusClient
from zenith.contracts import frames, network, products
from zenith.contracts.products import product_key
from zenith.errors import NotFound
from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_metadata
from zenith_products.artifact import Artifact
from zenith_products.publisher import Publisher

pytestmark = [pytest.mark.asyncio(loop_scope="package"),
              pytest.mark.usefixtures("capture_service")]

BIG_NIGHTS = [f"2025-03-{day:02d}" for day in range(1, 11)]
# 320 MiB in the suite; ZENITH_TEST_ZIP_MIB=2048 runs the 2 GB selection
BIG_SIZE = int(os.environ.get("ZENITH_TEST_ZIP_MIB", "320")) // len(BIG_NIGHTS) * 1024 * 1024


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def hub(nats_url: str, remote_host: str, auth_service: Any, blob_dir: Path,
              bus: BusClient, products_service: Any,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    await seed_products(products_service, blob_dir, CAMERA,
                        [("2026-02-03", "keogram"), ("2026-02-03", "startrails"),
                         ("2026-02-04", "keogram"), ("2026-03-01", "keogram")])
    async with start_hub(nats_url, remote_host, blob_dir, bus,
                         tmp_path_factory.mktemp("network")) as under_test:
        yield under_test


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def test_show_a_month_and_download_the_selection_as_a_zip(hub: Hub) -> None:
    alice = await session_of(hub.web, hub.alice)
    async with alice.get(f"/owner/cameras/{CAMERA}/data",
                         params={"month": "2026-02", "type": "all"}) as resp:
        assert resp.status == 200
        text = await resp.text()
    assert 'value="p:2026-02-03:keogram"' in text and 'value="p:2026-02-04:keogram"' in text
    assert "p:2026-03-01:keogram" not in text and 'data-select-all="item"' in text
    async with alice.get(f"/owner/cameras/{CAMERA}/data",
                         params={"month": "2026-02", "type": "startrails"}) as resp:
        text = await resp.text()
    assert "p:2026-02-03:startrails" in text and "p:2026-02-03:keogram" not in text
    async with alice.get(f"/owner/cameras/{CAMERA}/data",
                         params={"month": "2026-13"}) as resp:
        assert resp.status == 400
    items = ["p:2026-02-03:keogram", "p:2026-02-03:startrails", "p:2026-02-04:keogram"]
    async with alice.post(f"/owner/cameras/{CAMERA}/data/download", data=[
            ("csrf_token", csrf_of(alice)), *[("item", i) for i in items]]) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/zip"
        assert "attachment" in resp.headers["Content-Disposition"]
        assert resp.headers.get("Transfer-Encoding") == "chunked"
        data = await resp.read()
    blobs = BlobStore(hub.web.settings.resolved_blob_dir)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = sorted(archive.namelist())
        assert names == ["keogram/2026-02-03-keogram.jpg", "keogram/2026-02-04-keogram.jpg",
                         "startrails/2026-02-03-startrails.jpg"]
        assert archive.read("keogram/2026-02-04-keogram.jpg") == blobs.read_bytes(
            product_key(CAMERA, "2026-02-04", "keogram"))
    for bad in (["../../etc/passwd"], ["p:2026-02-03:keogram; rm"], []):
        async with alice.post(f"/owner/cameras/{CAMERA}/data/download", data=[
                ("csrf_token", csrf_of(alice)), *[("item", i) for i in bad]]) as resp:
            assert resp.status == 400, bad


async def test_a_nights_images_download_as_a_zip(hub: Hub, bus: BusClient) -> None:
    frame = await wait_for_frame(bus)
    listed = await bus.request(frames.LIST, frames.FrameList(night=frame.night), camera=CAMERA)
    alice = await session_of(hub.web, hub.alice)
    async with alice.get(f"/owner/cameras/{CAMERA}/data",
                         params={"month": frame.night[:7], "type": "images"}) as resp:
        assert f'value="n:{frame.night}"' in await resp.text()
    async with alice.post(f"/owner/cameras/{CAMERA}/data/download", data=[
            ("csrf_token", csrf_of(alice)), ("item", f"n:{frame.night}")]) as resp:
        assert resp.status == 200
        data = await resp.read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        first = f"images/{frame.night}/{listed.frames[0].key.rsplit('/', 1)[-1]}"
        assert first in names and len(names) >= len(listed.frames)
        assert archive.read(first)[:2] == b"\xff\xd8"


async def test_a_large_download_streams_with_flat_memory(
        hub: Hub, products_service: Any, blob_dir: Path) -> None:
    blobs = BlobStore(blob_dir)
    arts = []
    chunk = bytes(range(256)) * 4096  # 1 MiB
    for night in BIG_NIGHTS:
        key = product_key(CAMERA, night, "timelapse")
        path = blobs.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            for _ in range(BIG_SIZE // len(chunk)):
                out.write(chunk)
        arts.append(Artifact(kind="timelapse", night=night, key=key, thumb_key=None,
                             frames=10, final=True, size=BIG_SIZE))
    meta = await open_metadata(products_service.resolved_metadata_url)
    try:
        await Publisher(meta, None).publish(CAMERA, list(arts))
    finally:
        await meta.close()
    logged_in = await session_of(hub.web, hub.alice)
    # a client without the OpenAPI checker, which reads every body whole
    alice = aiohttp.ClientSession(
        base_url=hub.web.remote_url, cookie_jar=logged_in.cookie_jar,
        connector=aiohttp.TCPConnector(local_addr=(hub.web.remote_host, 0)))
    hub.web.sessions.append(alice)
    items = [f"p:{night}:timelapse" for night in BIG_NIGHTS]
    base = rss_kib()
    peak = base
    received = 0
    tail = b""
    async with alice.post(f"/owner/cameras/{CAMERA}/data/download", data=[
            ("csrf_token", csrf_of(alice)), *[("item", i) for i in items]]) as resp:
        assert resp.status == 200
        async for piece in resp.content.iter_chunked(256 * 1024):
            received += len(piece)
            tail = (tail + piece)[-200:]
            peak = max(peak, rss_kib())
    total = BIG_SIZE * len(BIG_NIGHTS)
    assert total <= received < total + 64 * 1024
    assert b"PK\x05\x06" in tail  # the end of the central directory came last
    grown_mib = (peak - base) / 1024
    print(f"zip download: {received / 2**20:.0f} MiB, RSS {base / 1024:.0f} MiB -> "
          f"peak {peak / 1024:.0f} MiB (+{grown_mib:.1f} MiB)")
    assert grown_mib < 64, f"RSS grew by {grown_mib:.0f} MiB for a {total >> 20} MiB zip"
    for night in BIG_NIGHTS:
        blobs.delete(product_key(CAMERA, night, "timelapse"))


async def test_delete_asks_naming_the_count_and_keeps_highlighted_frames(
        hub: Hub, bus: BusClient) -> None:
    frame = await wait_for_frame(bus)
    night = frame.night
    highlight = await bus.request(network.HIGHLIGHT_ADD, {
        "camera": CAMERA, "product": frame.id, "key": frame.key, "category": "meteor"})
    kept_key = product_key(CAMERA, "2026-02-03", "startrails")
    product_highlight = await bus.request(network.HIGHLIGHT_ADD, {
        "camera": CAMERA, "product": f"{CAMERA}:2026-02-03:startrails", "key": kept_key,
        "category": "aurora", "active": False})  # deactivated: its file still stays
    alice = await session_of(hub.web, hub.alice)
    item = f"n:{night}"
    selection = [("csrf_token", csrf_of(alice)), ("item", item),
                 ("item", "p:2026-02-04:keogram"), ("item", "p:2026-02-03:startrails")]
    async with alice.post(f"/owner/cameras/{CAMERA}/data/delete", data=selection) as resp:
        assert resp.status == 200
        text = await resp.text()
    assert "Delete 3 items?" in text and "XP" in text and "re-rendered" in text
    assert 'name="confirm" value="3"' in text
    before = await bus.request(frames.LIST, frames.FrameList(night=night), camera=CAMERA)
    assert before.frames  # nothing deleted by the first post
    # a wrong count (the selection changed meanwhile) asks again
    async with alice.post(f"/owner/cameras/{CAMERA}/data/delete",
                          data=[*selection, ("confirm", "5")]) as resp:
        assert "Delete 3 items?" in await resp.text()
    async with alice.post(f"/owner/cameras/{CAMERA}/data/delete",
                          data=[*selection, ("confirm", "3")]) as resp:
        assert resp.status == 200
        text = await resp.text()
    assert "Deleted " in text and "Kept for highlights: 1" in text
    assert "Products deleted: 1" in text and "Products kept for highlights: 1" in text
    after = await bus.request(frames.LIST, frames.FrameList(night=night), camera=CAMERA)
    remaining = {f.id for f in after.frames}
    assert frame.id in remaining  # the highlighted frame stays, with its file
    assert BlobStore(hub.web.settings.resolved_blob_dir).exists(frame.key)
    assert all(f.id == frame.id or f.taken_at > before.frames[-1].taken_at
               for f in after.frames)  # only frames taken since then besides it
    blobs = BlobStore(hub.web.settings.resolved_blob_dir)
    listed = await bus.request(products.LIST, products.ProductQuery(
        from_night="2026-02-03", to_night="2026-02-04"), camera=CAMERA)
    assert sorted((p.night, p.kind) for p in listed.products) == [
        ("2026-02-03", "keogram"), ("2026-02-03", "startrails")]  # index row and files
    assert not blobs.exists(product_key(CAMERA, "2026-02-04", "keogram"))
    assert blobs.exists(kept_key)
    with pytest.raises(NotFound):
        await bus.request(products.DELETE, products.ProductDelete(
            night="2026-02-04", kind="keogram"), camera=CAMERA)
    await bus.request(network.HIGHLIGHT_REMOVE, {"id": highlight.id})
    await bus.request(network.HIGHLIGHT_REMOVE, {"id": product_highlight.id})
    await asyncio.sleep(0)

"""Uploaded nightly products and meteor candidates are indexed by products, beside its own."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from zenith.config import load_settings
from zenith.contracts import ingest
from zenith.contracts.products import PRODUCTS_INDEX
from zenith.runner import service_context
from zenith.storage.factory import open_metadata
from zenith_products.service import serve as serve_products
from zenith_products.settings import ProductsSettings

from .media import jpeg, video
from .test_ingest_allskykamera import post, staged_files
from .test_status import wait_for


@pytest.fixture
async def hub_products(tmp_path: Path, nats_server: Any, hub: Any) -> Any:
    db = tmp_path / "products.db"
    settings = load_settings(ProductsSettings, env={}, nats_url=nats_server.url,
                             data_dir=tmp_path / "products", blob_dir=hub.blob_dir,
                             metadata_url=f"sqlite:///{db}", products_hub_ingest=True,
                             products_retention_interval_s=0)
    async with service_context("products", settings, serve_products):
        store = await open_metadata(f"sqlite:///{db}")
        try:
            yield store
        finally:
            await store.close()


async def wait_docs(store: Any, collection: str, count: int, timeout: float = 30) -> list[Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        docs = await store.find(collection, {})
        if len(docs) >= count or loop.time() > deadline:
            return docs
        await asyncio.sleep(0.2)


async def test_three_nightly_products_and_a_meteor(hub, hub_products):
    url = hub.url + "/api/v1/nightly_upload.php"
    headers = {"X-API-Key": hub.key}
    for asset in ("keogram", "startrail"):
        files = {"fullhd": ("fullhd.jpg", jpeg(1920, 200, seed=1), "image/jpeg"),
                 "mobile": ("mobile.jpg", jpeg(960, 100, seed=1), "image/jpeg"),
                 "thumb": ("thumb.jpg", jpeg(480, 50, seed=1), "image/jpeg")}
        r = await post(url, headers=headers, files=files,
                       data={"date": "20261109", "asset": asset, "publish_last": "1"})
        assert r.status_code == 200, r.text
    for _ in range(2):  # a retried video: still one product
        r = await post(url, headers=headers,
                       data={"date": "20261109", "asset": "video", "publish_last": "1"},
                       files={"file": ("allsky-20261109.mp4", video(), "video/mp4"),
                              "thumb": ("thumb.jpg", jpeg(480, 270), "image/jpeg")})
        assert r.status_code == 200, r.text
    docs = await wait_docs(hub_products, PRODUCTS_INDEX.name, 3)
    by_kind = {d["kind"]: d for d in docs}
    assert sorted(by_kind) == ["keogram", "startrails", "timelapse"]
    for kind, doc in by_kind.items():
        assert doc["_id"] == ingest.uploaded_product_id("alpha", "2026-11-09", kind)
        assert doc["meta"]["source"] == "camera" and doc["final"] is True
        assert (hub.blob_dir / doc["key"]).is_file()
        assert doc["thumb_key"] and (hub.blob_dir / doc["thumb_key"]).is_file()
    assert by_kind["timelapse"]["content_type"] == "video/mp4"
    assert by_kind["timelapse"]["meta"]["codec"] == "h264"

    files = {"candidate_json": ("c.json", json.dumps({"id": "m1", "length_px": 120}),
                                "application/json"),
             "day_index": ("i.json", "[]", "application/json"),
             **{n: (f"{n}.jpg", jpeg(480, 270, seed=i), "image/jpeg")
                for i, n in enumerate(("current_small", "previous_small", "diff_small",
                                       "boxed_small"))},
             "current_fullhd": ("f.jpg", jpeg(1920, 1080), "image/jpeg")}
    r = await post(hub.url + "/api/v1/meteor_upload.php", headers=headers, files=files,
                   data={"asset": "meteor", "day": "20261109", "candidate_id": "m1"})
    assert r.status_code == 200, r.text
    [meteor] = await wait_docs(hub_products, ingest.METEORS.name, 1)
    assert meteor["_id"] == "alpha:2026-11-09:m1" and meteor["day"] == "2026-11-09"
    assert meteor["candidate"]["length_px"] == 120
    assert all((hub.blob_dir / key).is_file() for key in meteor["parts"].values())
    # every upload applied: nothing stays staged, and each kept file is its bytes'
    # only name (retention's deleting it frees them)
    async def unstaged() -> bool:
        return staged_files(hub) == []

    await wait_for(unstaged, timeout=10)
    kept = [doc["key"] for doc in docs] + list(meteor["parts"].values())
    assert all((hub.blob_dir / key).stat().st_nlink == 1 for key in kept)


async def test_meteor_candidates_are_listed_by_day(hub, hub_products, bus):
    from .media import jpeg as make

    files = {"candidate_json": ("c.json", json.dumps({"id": "m2"}), "application/json"),
             "day_index": ("i.json", "[]", "application/json"),
             **{n: (f"{n}.jpg", make(480, 270, seed=i), "image/jpeg")
                for i, n in enumerate(("current_small", "previous_small", "diff_small",
                                       "boxed_small"))},
             "current_fullhd": ("f.jpg", make(1920, 1080), "image/jpeg")}
    r = await post(hub.url + "/api/v1/meteor_upload.php", headers={"X-API-Key": hub.key},
                   files=files, data={"day": "20261110", "candidate_id": "m2"})
    assert r.status_code == 200
    await wait_docs(hub_products, ingest.METEORS.name, 1)
    listed = await bus.request(ingest.METEORS_LIST, {"camera": "alpha", "day": "2026-11-10"})
    assert [m.candidate_id for m in listed.candidates] == ["m2"]
    empty = await bus.request(ingest.METEORS_LIST, {"camera": "alpha", "day": "2026-11-11"})
    assert empty.candidates == []

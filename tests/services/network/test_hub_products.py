"""The hub makes a camera's own products from the live frames it uploads."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from zenith.config import load_settings
from zenith.contracts import ingest
from zenith.contracts import network as c
from zenith.contracts.products import PRODUCTS_INDEX
from zenith.runner import service_context
from zenith.storage.factory import open_metadata
from zenith_products.service import serve as serve_products
from zenith_products.settings import ProductsSettings

from .conftest import camera_body
from .media import jpeg
from .test_ingest_allskykamera import post
from .test_ingest_frames import hub_capture  # noqa: F401  (fixture)
from .test_ingest_products import wait_docs


@pytest.fixture
async def hub_products(tmp_path: Path, nats_server: Any, hub: Any) -> Any:
    db = tmp_path / "products.db"
    settings = load_settings(ProductsSettings, env={}, nats_url=nats_server.url,
                             data_dir=tmp_path / "products", blob_dir=hub.blob_dir,
                             metadata_url=f"sqlite:///{db}", products_hub_ingest=True,
                             products_retention_interval_s=0, products_refresh_frames=1,
                             products_discover_interval_s=0.5)
    async with service_context("products", settings, serve_products):
        store = await open_metadata(f"sqlite:///{db}")
        try:
            yield store
        finally:
            await store.close()


async def test_a_keogram_from_uploaded_frames(hub, hub_capture, hub_products, bus):  # noqa: F811
    from zenith.contracts import camerakeys as k

    await bus.request(c.CAMERA_ADD, camera_body("sydney", location={
        "latitude": -33.87, "longitude": 151.21, "timezone": "Australia/Sydney"}))
    key = (await bus.request(k.KEY_ISSUE, {"camera": "sydney"})).key
    start = datetime.fromisoformat("2026-12-01T11:00:00+00:00")  # 22:00 in Sydney
    for n in range(4):
        meta = json.dumps({"taken_at": (start + timedelta(minutes=2 * n)).isoformat(),
                           "exposure_s": 20, "gain": 8})
        r = await post(f"{hub.url}{ingest.ZENITH_PREFIX}/sydney/frames",
                       headers={"X-API-Key": key, "Idempotency-Key": f"s-{n}"},
                       data={"meta": meta},
                       files={"frame": ("f.jpg", jpeg(640, 480, seed=n), "image/jpeg")})
        assert r.status_code == 200, r.text
    docs = await wait_docs(hub_products, PRODUCTS_INDEX.name, 2, timeout=90)
    mine = [d for d in docs if d["camera"] == "sydney"]
    assert {"keogram", "timelapse"} <= {d["kind"] for d in mine}, docs
    keogram = next(d for d in mine if d["kind"] == "keogram")
    assert keogram["night"] == "2026-12-01" and keogram["frames"] >= 1
    assert (hub.blob_dir / keogram["key"]).is_file()

"""Highlights in the owner area: products of the monthly overview marked with
a category, listed, deactivated (the file stays) and reactivated; another
owner's highlight is not there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.services.web.ownerstack import OTHER, Hub, csrf_of, session_of, start_hub
from tests.services.web.site_seed import seed_products
from tests.services.web.webstack import CAMERA
from zenith.bus.client import BusClient
from zenith.contracts import network
from zenith.contracts.products import product_key
from zenith.storage.blob import BlobStore

pytestmark = [pytest.mark.asyncio(loop_scope="package")]


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def hub(nats_url: str, remote_host: str, auth_service: Any, blob_dir: Path,
              bus: BusClient, products_service: Any,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    await seed_products(products_service, blob_dir, CAMERA,
                        [("2026-05-10", "keogram"), ("2026-05-11", "startrails")])
    async with start_hub(nats_url, remote_host, blob_dir, bus,
                         tmp_path_factory.mktemp("network")) as under_test:
        yield under_test


async def test_mark_list_deactivate_and_reactivate(hub: Hub, bus: BusClient,
                                                   blob_dir: Path) -> None:
    alice = await session_of(hub.web, hub.alice)
    url = f"/owner/cameras/{CAMERA}/highlights"
    async with alice.get(f"/owner/cameras/{CAMERA}/data", params={"month": "2026-05"}) as resp:
        assert 'id="mark"' in await resp.text()
    async with alice.post(url + "/mark", data=[
            ("csrf_token", csrf_of(alice)), ("category", "bogus"),
            ("item", "p:2026-05-10:keogram")]) as resp:
        assert resp.status == 400
    assert not (await bus.request(network.HIGHLIGHT_LIST, {"camera": CAMERA})).highlights
    async with alice.post(url + "/mark", data=[
            ("csrf_token", csrf_of(alice)), ("category", "aurora"),
            ("item", "p:2026-05-10:keogram"), ("item", "p:2026-05-11:startrails"),
            ("item", "n:2026-05-10")], allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"].endswith("?marked=2")
    found = (await bus.request(network.HIGHLIGHT_LIST, {"camera": CAMERA})).highlights
    assert sorted(h.product for h in found) == [f"{CAMERA}:2026-05-10:keogram",
                                                f"{CAMERA}:2026-05-11:startrails"]
    assert all(h.category == "aurora" and h.active for h in found)
    async with alice.get(url + "?marked=2") as resp:
        text = await resp.text()
    assert "New highlights: 2" in text and "keogram 2026-05-10" in text
    # marking again adds nothing twice
    async with alice.post(url + "/mark", data=[
            ("csrf_token", csrf_of(alice)), ("category", "aurora"),
            ("item", "p:2026-05-10:keogram")], allow_redirects=False) as resp:
        assert resp.headers["Location"].endswith("?marked=0")
    keogram = next(h for h in found if h.product.endswith("keogram"))
    # bob cannot touch it, neither through his camera nor through alice's
    bob = await session_of(hub.web, hub.bob)
    for camera in (OTHER, CAMERA):
        async with bob.post(f"/owner/cameras/{camera}/highlights/{keogram.id}/active",
                            data={"csrf_token": csrf_of(bob), "active": "0"}) as resp:
            assert resp.status == 404
    assert (await bus.request(network.HIGHLIGHT_LIST, {"camera": CAMERA,
                                                       "active": True})).highlights
    async with alice.post(f"{url}/{keogram.id}/active", data={
            "csrf_token": csrf_of(alice), "active": "0"}, allow_redirects=False) as resp:
        assert resp.status == 303
    active = (await bus.request(network.HIGHLIGHT_LIST, {"camera": CAMERA,
                                                         "active": True})).highlights
    assert keogram.id not in {h.id for h in active}
    assert BlobStore(blob_dir).exists(product_key(CAMERA, "2026-05-10", "keogram"))
    async with alice.post(f"{url}/{keogram.id}/active", data={
            "csrf_token": csrf_of(alice), "active": "1"}, allow_redirects=False) as resp:
        assert resp.status == 303
    active = (await bus.request(network.HIGHLIGHT_LIST, {"camera": CAMERA,
                                                         "active": True})).highlights
    assert keogram.id in {h.id for h in active}
    for h in found:
        await bus.request(network.HIGHLIGHT_REMOVE, {"id": h.id})

"""The highlights page: the network's highlighted products by category and
year (filtered by the network service's store), newest night first, with
camera and date; empty states on a node and for filters that match nothing;
in Chromium at 375 and 1280 px with axe-core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import async_playwright

from tests.services.web.site_seed import seed_products
from tests.services.web.sitepages import Watch, check_page
from tests.services.web.webstack import WebUnderTest, start_web
from tests.support.browser import CHROMIUM_ARGS, require_chromium
from zenith.bus.client import BusClient
from zenith.config import load_settings
from zenith.contracts import network, products
from zenith.runner import service_context
from zenith_web.views.highlights import CATEGORY_LABELS

pytestmark = [pytest.mark.asyncio(loop_scope="package")]

RIDGE = "ridge"  # not the node camera of the package: its latest products stay as they are
HIGHLIGHTS = [  # camera, night, kind, category, title
    (RIDGE, "2025-12-21", "keogram", "aurora", "Red and green"),
    ("north", "2026-08-12", "timelapse", "meteor", "Perseids"),
    (RIDGE, "2026-06-30", "startrails", "noctilucent-clouds", ""),
    ("north", "2026-01-05", "keogram", "halo", "Hidden one"),  # made inactive below
]


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def hubsite(nats_url: str, remote_host: str, auth_service: Any, blob_dir: Path,
                  bus: BusClient, products_service: Any,
                  tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WebUnderTest]:
    """The network service with two cameras and their highlights; web as on a hub."""
    from zenith_network.main import serve
    from zenith_network.settings import NetworkSettings

    folder = tmp_path_factory.mktemp("network-highlights")
    settings = load_settings(NetworkSettings, env={}, nats_url=nats_url, data_dir=folder,
                             metadata_url=f"sqlite:///{folder / 'network.db'}")
    async with service_context("network", settings, serve):
        for camera, name in ((RIDGE, "Demo Ridge"), ("north", "Aurora North")):
            await bus.request(network.CAMERA_ADD, {"id": camera, "name": name, "location": {
                "latitude": 60.0, "longitude": 10.0, "timezone": "Europe/Oslo"}})
        for camera, night, kind, category, title in HIGHLIGHTS:
            await seed_products(products_service, blob_dir, camera, [(night, kind)])
            added = await bus.request(network.HIGHLIGHT_ADD, {
                "camera": camera, "product": products.product_id(camera, night, kind),
                "key": products.product_key(camera, night, kind), "category": category,
                "title": title})
            assert added.night == night  # taken from the product id
            if title == "Hidden one":
                await bus.request(network.HIGHLIGHT_SET_ACTIVE, {"id": added.id,
                                                                 "active": False})
        async with start_web(nats_url, remote_host, blob_dir=blob_dir) as under_test:
            yield under_test


async def test_a_node_has_no_highlights_of_its_own(web: WebUnderTest) -> None:
    client = web.remote()
    async with client.get("/highlights") as resp:
        assert resp.status == 200
        assert "Highlights are chosen on the network hub" in await resp.text()


async def test_the_store_filters_by_year(hubsite: WebUnderTest, bus: BusClient) -> None:
    found = await bus.request(network.HIGHLIGHT_LIST, {"year": 2026, "active": True})
    assert sorted(h.night or "" for h in found.highlights) == ["2026-06-30", "2026-08-12"]
    found = await bus.request(network.HIGHLIGHT_LIST, {"year": 2025, "category": "meteor"})
    assert found.highlights == []


async def test_highlights_by_category_and_year(hubsite: WebUnderTest) -> None:
    client = hubsite.remote()
    async with client.get("/highlights") as resp:
        assert resp.status == 200
        text = await resp.text()
    # newest night first, with camera and date; the inactive one is not shown
    assert text.index("Perseids") < text.index("2026-06-30") < text.index("Red and green")
    assert "Hidden one" not in text and "Aurora North" in text and "Demo Ridge" in text
    assert '<time datetime="2026-08-12">' in text
    assert "/cameras/north/view/2026-08-12/timelapse" in text
    assert f"/cameras/{RIDGE}/products/2025-12-21/keogram?thumb=1" in text
    assert 'loading="lazy"' in text and "Noctilucent clouds" in text
    assert '<option value="2026"' in text and '<option value="2025"' in text
    async with client.get("/highlights", params={"category": "aurora"}) as resp:
        text = await resp.text()
    assert "Red and green" in text and "Perseids" not in text
    async with client.get("/highlights", params={"year": "2026"}) as resp:
        text = await resp.text()
    assert "Perseids" in text and "Red and green" not in text
    async with client.get("/highlights", params={"year": "2026", "category": "aurora"}) as resp:
        assert "No highlight matches these filters." in await resp.text()
    async with client.get("/highlights", params={"category": "nonsense"}) as resp:
        assert resp.status == 200 and "Perseids" in await resp.text()  # shows everything
    async with client.get("/highlights", headers={"Accept-Language": "de"}) as resp:
        text = await resp.text()
    assert "Höhepunkte" in text and "Leuchtende Nachtwolken" in text


def test_every_category_of_the_network_has_a_label() -> None:
    assert set(CATEGORY_LABELS) == set(network.HIGHLIGHT_CATEGORIES)


@pytest.mark.browser
async def test_highlights_in_chromium(hubsite: WebUnderTest) -> None:
    chromium = require_chromium()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(20000)
            watch = Watch(page, hubsite.remote_url)
            await check_page(page, hubsite.remote_url + "/highlights", "site-highlights")
            images = page.locator("#highlights img")
            assert await images.count() == 3
            assert await images.first.evaluate(
                "i => i.decode().then(() => i.naturalWidth)") > 0
            await check_page(page, hubsite.remote_url + "/highlights?year=2024",
                             "site-highlights-empty")
            await page.goto(hubsite.remote_url + "/highlights")
            await page.select_option("select[name=category]", "meteor")
            await page.click("form.filters button[type=submit]")
            await page.wait_for_url("**/highlights?category=meteor*")
            assert await page.locator("#highlights li.highlight").count() == 1
            watch.check()
        finally:
            await browser.close()

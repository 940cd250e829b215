"""A hub's public pages: the home page's camera cards (filters, sort, newest
activity first) and the map (Leaflet, tiles from the configured server
only, markers by status, positions never more exact than the owner allows),
over HTTP and in Chromium at 375 and 1280 px with axe-core."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web as aioweb
from playwright.async_api import async_playwright, expect

from tests.services.web.sitepages import SHOTS, Watch, check_page
from tests.services.web.test_web_latest import wait_for_frame
from tests.services.web.webstack import CAMERA, WebUnderTest, start_web
from tests.support.browser import CHROMIUM_ARGS, require_chromium
from zenith.bus.client import BusClient
from zenith.cli.nats_server import free_port
from zenith.config import load_settings
from zenith.contracts import network
from zenith.runner import service_context

pytestmark = [pytest.mark.asyncio(loop_scope="package"),
              pytest.mark.usefixtures("capture_service")]

EXACT = (47.123456, 8.654321)


def png_tile() -> bytes:
    """A 1x1 grey PNG: what the stand-in tile server answers."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    header = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x50")) + chunk(b"IEND", b""))


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def tiles() -> AsyncIterator[str]:
    """A tile server on another origin (the map's one foreign site)."""
    app = aioweb.Application()
    tile = png_tile()

    async def serve(request: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(body=tile, content_type="image/png")

    app.router.add_get("/tiles/{z}/{x}/{y}.png", serve)
    runner = aioweb.AppRunner(app)
    await runner.setup()
    port = free_port()
    await aioweb.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def hub(nats_url: str, remote_host: str, auth_service: Any, blob_dir: Path,
              tiles: str, bus: BusClient, tmp_path_factory: pytest.TempPathFactory
              ) -> AsyncIterator[WebUnderTest]:
    """The network service with three cameras, and a web service as on a hub."""
    from zenith_network.main import serve
    from zenith_network.settings import NetworkSettings

    folder = tmp_path_factory.mktemp("network")
    settings = load_settings(NetworkSettings, env={}, nats_url=nats_url, data_dir=folder,
                             metadata_url=f"sqlite:///{folder / 'network.db'}")
    async with service_context("network", settings, serve):
        for body in (
                {"id": CAMERA, "name": "Demo Ridge", "site": "Ridge", "code": "ASK101",
                 "location": {"latitude": EXACT[0], "longitude": EXACT[1],
                              "timezone": "Europe/Zurich", "precision": "10km"}},
                {"id": "quiet", "name": "Quiet Valley", "code": "ASK102",
                 "location": {"latitude": 10.0, "longitude": 20.0,
                              "timezone": "Africa/Lagos", "precision": "hidden"}},
                {"id": "north", "name": "Aurora North", "code": "ASK103",
                 "location": {"latitude": 69.65, "longitude": 18.96,
                              "timezone": "Europe/Oslo", "precision": "exact"}}):
            await bus.request(network.CAMERA_ADD, body)
        async with start_web(nats_url, remote_host, blob_dir=blob_dir,
                             web_map_tiles=f"http://{tiles}/tiles/{{z}}/{{x}}/{{y}}.png",
                             web_map_attribution="Test tiles <b>") as under_test:
            yield under_test


async def online(bus: BusClient, camera: str) -> None:
    for _ in range(120):
        found = await bus.request(network.CAMERA_GET, {"camera": camera})
        if found.online:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{camera} never went online")


async def test_home_cards_filters_and_the_map_data(hub: WebUnderTest, bus: BusClient) -> None:
    await wait_for_frame(bus)
    await online(bus, CAMERA)
    client = hub.remote()
    async with client.get("/") as resp:
        assert resp.status == 200
        text = await resp.text()
    # newest activity first: the camera that uploads, then the others
    assert text.index("Demo Ridge") < text.index("Aurora North")
    assert "ASK101" in text and "No image yet" in text and "1 of 3 online" in text
    assert f"/cameras/{CAMERA}/latest/thumb.jpg" in text
    async with client.get("/", params={"sort": "name"}) as resp:
        text = await resp.text()
    assert text.index("Aurora North") < text.index("Demo Ridge") < text.index("Quiet Valley")
    async with client.get("/", params={"status": "offline", "region": "Europe"}) as resp:
        text = await resp.text()
    assert "Aurora North" in text and "Demo Ridge" not in text and "Quiet Valley" not in text
    async with client.get("/", params={"q": "valley"}) as resp:
        text = await resp.text()
    assert "Quiet Valley" in text and "Aurora North" not in text
    async with client.get("/", params={"q": "zzz"}) as resp:
        assert "No camera matches these filters." in await resp.text()
    async with client.get("/", params={"status": "nonsense"}) as resp:
        assert resp.status == 200  # a bad filter shows everything
    async with client.get(f"/cameras/{CAMERA}/latest/thumb.jpg") as resp:
        assert resp.status == 200 and resp.content_type == "image/jpeg"
    # the map's data: a blurred camera is never exact, a hidden one is left out
    async with client.get("/map/cameras.json") as resp:
        data = await resp.json()
    by_id = {c["id"]: c for c in data["cameras"]}
    assert set(by_id) == {CAMERA, "north"} and data["hidden"] == 1
    demo = by_id[CAMERA]
    assert (demo["latitude"], demo["longitude"]) != EXACT
    assert abs(demo["latitude"] - EXACT[0]) < 0.1 and demo["precision"] == "10km"
    assert str(EXACT[0]) not in text
    assert by_id["north"]["latitude"] == 69.65 and by_id["north"]["online"] is False
    # the camera page shows the public location only
    async with client.get(f"/cameras/{CAMERA}") as resp:
        page = await resp.text()
    assert "Demo Ridge" in page and "ASK101" in page and "within ~10km" in page
    assert "47.1235" not in page and "8.6543" not in page
    async with client.get("/cameras/quiet") as resp:
        assert "keeps this camera's location private" in await resp.text()
    async with client.get("/cameras/nobody") as resp:
        assert resp.status == 404
    async with client.get("/cameras/north/sensors") as resp:  # nothing measured yet
        assert resp.status == 200
        assert "No data in this range: this sensor has sent nothing yet." in await resp.text()
    async with client.get("/map") as resp:
        csp = resp.headers["Content-Security-Policy"]
        assert "img-src 'self' data: blob: http://127.0.0.1:" in csp
        assert "script-src 'self';" in csp


@pytest.mark.browser
async def test_home_and_map_in_chromium(hub: WebUnderTest, bus: BusClient,
                                        tiles: str) -> None:
    await online(bus, CAMERA)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=require_chromium(),
                                           args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(20000)
            watch = Watch(page, hub.remote_url, (tiles,))
            await check_page(page, hub.remote_url + "/", "site-hub-home")
            await check_page(page, hub.remote_url + "/?status=online", "site-hub-online")
            await check_page(page, hub.remote_url + f"/cameras/{CAMERA}", "site-hub-camera")
            await check_page(page, hub.remote_url + "/cameras/north/sensors",
                             "site-sensors-empty")
            await check_page(page, hub.remote_url + "/map", "site-map", full_page=False)
            await expect(page.locator("#map")).to_have_attribute("data-ready", "2")
            assert await page.locator("path.marker-online").count() == 1
            assert await page.locator("path.marker-offline").count() == 1
            await page.locator("path.marker-online").click()
            popup = page.locator(".leaflet-popup-content")
            await expect(popup).to_contain_text("Demo Ridge")
            assert await popup.locator("a").get_attribute("href") == f"/cameras/{CAMERA}"
            await expect(page.locator(".leaflet-control-attribution")).to_contain_text(
                "Test tiles <b>")
            await page.screenshot(path=str(SHOTS / "site-map-popup.png"))
            watch.check()
        finally:
            await browser.close()

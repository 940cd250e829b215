"""The public website over HTTP: a node's home is its camera page, camera
pages, live JSON, product files, empty states; the dashboard moved to
/dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.services.web.site_seed import seed_products, unindex_products
from tests.services.web.test_web_latest import wait_for_frame
from tests.services.web.webstack import CAMERA, WebUnderTest
from zenith.bus.client import BusClient

pytestmark = [pytest.mark.asyncio(loop_scope="package"),
              pytest.mark.usefixtures("capture_service")]


async def test_node_home_is_its_camera_page(web: WebUnderTest, bus: BusClient,
                                            products_service: Any, blob_dir: Path) -> None:
    frame = await wait_for_frame(bus)
    await seed_products(products_service, blob_dir, CAMERA,
                        [("2026-11-03", "keogram"), ("2026-11-03", "timelapse")])
    await unindex_products(products_service, CAMERA, "startrails")  # for the empty state
    client = web.remote()  # a stranger: the public pages need no login
    async with client.get("/") as resp:
        assert resp.status == 200
        home = await resp.text()
    async with client.get(f"/cameras/{CAMERA}") as resp:
        assert resp.status == 200
        page = await resp.text()
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    for text in (home, page):
        assert 'id="live-image"' in text and f"/cameras/{CAMERA}/latest/image.jpg?v=" in text
        assert f'width="{frame.width}"' in text and "Timelapse · 2026-11-03" in text
        assert "No startrails for this night." in text  # an empty state
        assert "<script>" not in text and "style=" not in text  # nothing inline
    async with client.get(f"/cameras/{CAMERA}/live.json") as resp:
        live = await resp.json()
        assert resp.status == 200 and live["frame_id"] and live["url"].startswith(
            f"/cameras/{CAMERA}/latest/image.jpg?v=")
    async with client.get(f"/cameras/{CAMERA}/products/2026-11-03/keogram?thumb=1") as resp:
        assert resp.status == 200 and resp.content_type == "image/jpeg"
    async with client.get(f"/cameras/{CAMERA}/products/2026-11-03/startrails") as resp:
        assert resp.status == 404
    async with client.get(f"/cameras/{CAMERA}/products/not-a-night/keogram") as resp:
        assert resp.status == 404
    async with client.get(f"/cameras/{CAMERA}/products/2026-11-03/nonsense") as resp:
        assert resp.status == 404


async def test_unknown_cameras_and_the_dashboard(web: WebUnderTest) -> None:
    client = web.remote()
    async with client.get("/cameras/elsewhere", headers={"Accept": "text/html"}) as resp:
        assert resp.status == 404 and "Not found" in await resp.text()
    async with client.get("/cameras/elsewhere/live.json") as resp:
        assert resp.status == 404
    async with client.get("/dashboard", allow_redirects=False) as resp:
        assert resp.status == 302  # still needs a login

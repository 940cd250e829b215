"""Calendars and the viewer: month grids newest first with previews and
quick links, from/to months, previous/next night, slow playback; over HTTP
and in Chromium at 375 and 1280 px with axe-core."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from tests.services.web.site_seed import seed_products
from tests.services.web.sitepages import Watch, check_page
from tests.services.web.webstack import WebUnderTest
from tests.support.browser import CHROMIUM_ARGS, require_chromium

pytestmark = [pytest.mark.asyncio(loop_scope="package")]
CAM = "demo"  # the node's camera (a node has pages for its own camera only)
NIGHTS = [("2026-09-28", "keogram"), ("2026-09-28", "timelapse"),
          ("2026-10-05", "keogram"), ("2026-10-05", "startrails"),
          ("2026-10-06", "timelapse"), ("2026-10-20", "keogram")]


async def test_calendar_months_and_the_viewer(web: WebUnderTest, products_service: Any,
                                              blob_dir: Path) -> None:
    await seed_products(products_service, blob_dir, CAM, NIGHTS)
    client = web.remote()
    async with client.get(f"/cameras/{CAM}/calendar/keograms",
                          params={"from": "2026-09", "to": "2026-10"}) as resp:
        assert resp.status == 200
        text = await resp.text()
    assert text.index("October 2026") < text.index("September 2026")  # newest first
    for night in ("2026-09-28", "2026-10-05", "2026-10-20"):
        assert f"/cameras/{CAM}/view/{night}/keogram" in text
    assert f"/cameras/{CAM}/view/2026-10-05/startrails" in text  # a quick link
    assert f"/cameras/{CAM}/view/2026-10-06/keogram" not in text
    async with client.get(f"/cameras/{CAM}/calendar/keograms",
                          params={"from": "2026-10", "to": "2026-09"}) as resp:
        assert "September 2026" in await resp.text()  # swapped, not an error
    async with client.get(f"/cameras/{CAM}/calendar/keograms",
                          params={"from": "bad"}) as resp:
        assert resp.status == 200
    async with client.get(f"/cameras/{CAM}/calendar/nothing") as resp:
        assert resp.status == 404
    # the viewer steps between nights that have a keogram
    async with client.get(f"/cameras/{CAM}/view/2026-10-05/keogram") as resp:
        text = await resp.text()
    assert f"/cameras/{CAM}/view/2026-09-28/keogram" in text
    assert f"/cameras/{CAM}/view/2026-10-20/keogram" in text
    async with client.get(f"/cameras/{CAM}/view/2026-10-07/keogram") as resp:
        assert resp.status == 404
    async with client.get(f"/cameras/{CAM}/view/not-a-day/keogram") as resp:
        assert resp.status == 404


@pytest.mark.browser
async def test_calendar_and_viewer_in_chromium(web: WebUnderTest, products_service: Any,
                                               blob_dir: Path) -> None:
    await seed_products(products_service, blob_dir, CAM, NIGHTS)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=require_chromium(),
                                           args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(20000)
            watch = Watch(page, web.remote_url)
            base = web.remote_url + f"/cameras/{CAM}"
            await check_page(page, base + "/calendar/keograms?from=2026-08&to=2026-10",
                             "site-calendar")
            await check_page(page, base + "/view/2026-10-05/keogram", "site-viewer-image")
            await check_page(page, base + "/view/2026-10-06/timelapse", "site-viewer-video")
            await page.click("button[data-rate='0.25']")
            await expect(page.locator("#player-rate")).to_have_text("Speed 0.25×")
            assert await page.evaluate("document.getElementById('player').playbackRate") \
                == 0.25
            await page.goto(base + "/view/2026-10-05/keogram")
            await page.click("#next-night")
            await expect(page).to_have_url(re.compile("/view/2026-10-20/keogram$"))
            watch.check()
        finally:
            await browser.close()

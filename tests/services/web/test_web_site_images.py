"""Images by day: a night's thumbnails from capture's index, each frame large,
stepped frame by frame; over HTTP and in Chromium at 375/1280 px (axe-core)."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import async_playwright, expect

from tests.services.web.sitepages import Watch, check_page
from tests.services.web.webstack import CAMERA, WebUnderTest
from tests.support.browser import CHROMIUM_ARGS, require_chromium
from zenith.bus.client import BusClient
from zenith.contracts import frames

pytestmark = [pytest.mark.asyncio(loop_scope="package"),
              pytest.mark.usefixtures("capture_service")]


async def two_frames(bus: BusClient) -> list[frames.FrameDoc]:
    for _ in range(240):
        found = await bus.request(frames.LATEST, frames.LatestFrames(limit=2), camera=CAMERA)
        if len(found.frames) == 2 and found.frames[0].night == found.frames[1].night:
            return found.frames
        await asyncio.sleep(0.5)
    raise AssertionError("capture saved no two frames of a night in 120 s")


async def test_images_of_a_night(web: WebUnderTest, bus: BusClient) -> None:
    newest = await two_frames(bus)
    night = newest[0].night
    client = web.remote()
    async with client.get(f"/cameras/{CAMERA}/images/{night}") as resp:
        assert resp.status == 200
        text = await resp.text()
    stamp = frames.frame_stamp(newest[0].taken_at)
    assert f"/cameras/{CAMERA}/frames/{night}/{stamp}?thumb=1" in text
    assert text.count("data-frame ") >= 2 and 'loading="lazy"' in text
    async with client.get(f"/cameras/{CAMERA}/frames/{night}/{stamp}") as resp:
        assert resp.status == 200 and resp.content_type == "image/jpeg"
        full = len(await resp.read())
    async with client.get(f"/cameras/{CAMERA}/frames/{night}/{stamp}?thumb=1") as resp:
        assert resp.status == 200 and len(await resp.read()) < full
    for path in (f"/cameras/{CAMERA}/frames/{night}/..", f"/cameras/{CAMERA}/frames/x/{stamp}",
                 f"/cameras/{CAMERA}/frames/{night}/20000101T000000.000Z"):
        async with client.get(path) as resp:
            assert resp.status == 404, path
    async with client.get(f"/cameras/{CAMERA}/images/2001-01-01") as resp:
        assert "No images of this night." in await resp.text()
    async with client.get(f"/cameras/{CAMERA}/images/yesterday") as resp:
        assert resp.status == 404


@pytest.mark.browser
async def test_images_in_chromium(web: WebUnderTest, bus: BusClient) -> None:
    night = (await two_frames(bus))[0].night
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=require_chromium(),
                                           args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(20000)
            watch = Watch(page, web.remote_url)
            await check_page(page, web.remote_url + f"/cameras/{CAMERA}/images/{night}",
                             "site-images")
            await page.locator("a[data-frame]").first.click()
            await expect(page.locator("#lightbox")).to_be_visible()
            first = await page.get_attribute("#lightbox-image", "src")
            await page.click("#lightbox-next")
            await expect(page.locator("#lightbox-time")).to_contain_text("2 of")
            assert await page.get_attribute("#lightbox-image", "src") != first
            await page.keyboard.press("Escape")
            await expect(page.locator("#lightbox")).to_be_hidden()
            watch.check()
        finally:
            await browser.close()

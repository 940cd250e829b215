"""The public pages in a real Chromium (one browser for the module), at 375
and 1280 px: screenshots under var/screenshots/, axe-core without serious or
critical violations, the strict CSP never violated, no request to another
site, and complete without JavaScript."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.services.web.site_seed import seed_products
from tests.services.web.sitepages import Watch, check_page
from tests.services.web.test_web_latest import wait_for_frame
from tests.services.web.webstack import CAMERA, WebUnderTest
from zenith.bus.client import BusClient

pytestmark = [pytest.mark.asyncio(loop_scope="package"), pytest.mark.browser,
              pytest.mark.usefixtures("capture_service")]


async def test_camera_page_live_share_and_empty_states(
        browser: Any, web: WebUnderTest, bus: BusClient, products_service: Any,
        blob_dir: Path) -> None:
    await wait_for_frame(bus)
    await seed_products(products_service, blob_dir, CAMERA,
                        [("2026-11-04", "keogram"), ("2026-11-04", "timelapse"),
                         ("2026-11-04", "startrails")])
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(20000)
    watch = Watch(page, web.remote_url, (web.local_url.split('//')[1],))
    await check_page(page, web.remote_url + f"/cameras/{CAMERA}", "site-camera")
    await check_page(page, web.remote_url + "/", "site-node-home")
    await check_page(page, web.remote_url + "/cameras/nowhere", "site-missing")
    # the live image is shown and its time reads "... ago"
    await page.goto(web.remote_url + f"/cameras/{CAMERA}")
    img = page.locator("#live-image")
    assert await img.evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
    await expect(page.locator("#live-when time")).to_have_text(
        re.compile(r"just now|\d+ (minute|hour|day)s? ago"))
    # sharing: the copy button appears with JavaScript; over plain HTTP it copies the
    # old way, on this machine (a secure context) through the Clipboard API
    await page.click("#copy-link")
    await expect(page.locator("#share-result")).to_have_text("Link copied.")
    await context.grant_permissions(["clipboard-read", "clipboard-write"],
                                    origin=web.local_url)
    await page.goto(web.local_url + f"/cameras/{CAMERA}")
    await page.click("#copy-link")
    await expect(page.locator("#share-result")).to_have_text("Link copied.")
    assert await page.evaluate("navigator.clipboard.readText()") == \
        f"{web.local_url}/cameras/{CAMERA}"
    watch.check()
    await context.close()
    # complete without JavaScript: the image, values and products are in the HTML
    plain = await browser.new_context(java_script_enabled=False)
    page = await plain.new_page()
    await page.goto(web.remote_url + f"/cameras/{CAMERA}")
    assert await page.locator("#live-image").count() == 1
    assert await page.locator(".product video").count() == 1
    assert await page.locator(".product img[loading=lazy]").count() == 2
    assert await page.locator("#copy-link").is_hidden()
    await plain.close()

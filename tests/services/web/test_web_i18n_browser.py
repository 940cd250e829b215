"""Languages in a real Chromium: a German browser gets German pages, the
switch on the page changes the language and keeps it, and the German pages
pass the same checks as the English ones (both sizes, axe-core)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.services.web.sitepages import Watch, check_page
from tests.services.web.test_web_latest import wait_for_frame
from tests.services.web.webstack import CAMERA, WebUnderTest
from zenith.bus.client import BusClient

pytestmark = [pytest.mark.asyncio(loop_scope="package"), pytest.mark.browser,
              pytest.mark.usefixtures("capture_service")]


async def test_accept_language_german_and_the_switch(browser: Any, web: WebUnderTest,
                                                     bus: BusClient) -> None:
    await wait_for_frame(bus)
    page_url = web.remote_url + f"/cameras/{CAMERA}"
    german = await browser.new_context(locale="de-DE")
    page = await german.new_page()
    page.set_default_timeout(20000)
    watch = Watch(page, web.remote_url, ("tile.openstreetmap.org",))  # the tile setting
    await check_page(page, page_url, "site-camera-de")
    assert await page.get_attribute("html", "lang") == "de"
    await expect(page.locator("#live-title")).to_have_text("Livebild")
    await expect(page.locator("#live-when time")).to_have_text(
        re.compile(r"gerade eben|vor \d+ (Minute|Stunde|Tag)"))  # site.js keeps it German
    await page.click("#copy-link")
    await expect(page.locator("#share-result")).to_have_text(
        re.compile(r"Link kopiert\.|Link markieren und kopieren\."))
    # the switch: to English, and it stays English against the browser's German
    await page.get_by_role("navigation", name="Sprache").get_by_role(
        "link", name="English").click()
    await page.wait_for_url(page_url)
    assert await page.get_attribute("html", "lang") == "en"
    await expect(page.locator("#live-title")).to_have_text("Live image")
    await page.goto(web.remote_url + "/map")
    await expect(page.locator("h1")).to_have_text("Map")
    await page.get_by_role("navigation", name="Language").get_by_role(
        "link", name="Deutsch").click()
    await page.wait_for_url(web.remote_url + "/map")
    await expect(page.locator("h1")).to_have_text("Karte")
    watch.check()
    await german.close()
    # an English browser gets English; the switch works without JavaScript too
    plain = await browser.new_context(locale="en-GB", java_script_enabled=False)
    page = await plain.new_page()
    await page.goto(page_url)
    assert await page.get_attribute("html", "lang") == "en"
    await page.get_by_role("link", name="Deutsch").click()
    await expect(page.locator("#live-title")).to_have_text("Livebild")
    await plain.close()

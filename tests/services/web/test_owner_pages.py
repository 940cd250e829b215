"""The owner area in a real Chromium at 375 and 1280 px: log in, every page
axe-core clean and no wider than the screen, the strict CSP never violated;
the profile edited and saved with an image through the page; copy buttons
and "select all"; the public profile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import expect

from tests.services.web.ownerstack import Hub, start_hub
from tests.services.web.site_seed import seed_products
from tests.services.web.sitepages import Watch, check_page
from tests.services.web.webstack import CAMERA
from zenith.bus.client import BusClient
from zenith.contracts import profiles

pytestmark = [pytest.mark.asyncio(loop_scope="package"), pytest.mark.browser,
              pytest.mark.usefixtures("capture_service")]


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def hub(nats_url: str, remote_host: str, auth_service: Any, blob_dir: Path,
              bus: BusClient, products_service: Any,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    await seed_products(products_service, blob_dir, CAMERA,
                        [("2026-04-02", "keogram"), ("2026-04-02", "timelapse")])
    async with start_hub(nats_url, remote_host, blob_dir, bus,
                         tmp_path_factory.mktemp("network")) as under_test:
        yield under_test


async def test_owner_pages_in_chromium(browser: Any, hub: Hub, bus: BusClient,
                                       tmp_path: Path) -> None:
    base = hub.web.remote_url
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(20000)
    watch = Watch(page, base)
    await page.goto(base + "/login")
    await page.fill("input[name=username]", hub.alice.username)
    await page.fill("input[name=password]", hub.alice.password)
    await page.click("button[type=submit]")
    await page.wait_for_url(base + "/owner")
    await check_page(page, base + "/owner", "owner-home")
    cam = f"{base}/owner/cameras/{CAMERA}"
    await check_page(page, cam, "owner-camera")
    await check_page(page, cam + "/files", "owner-files")
    await check_page(page, cam + "/data?month=2026-04&type=all", "owner-data")
    await check_page(page, base + "/owner/password", "owner-password")
    await check_page(page, cam + "/highlights", "owner-highlights")
    await check_page(page, cam + "/sensors", "owner-sensors")
    await check_page(page, cam + "/profile", "owner-profile-edit")
    # select all ticks every item
    await page.goto(cam + "/data?month=2026-04&type=all")
    await page.check("#select-all")
    assert await page.locator("input[name=item]:checked").count() == 2
    # edit the profile in the page: nothing changes until Save, then "Saved."
    photo = tmp_path / "setup.png"
    Image.new("RGB", (800, 600), (30, 60, 90)).save(photo)
    await page.goto(cam + "/profile")
    await page.check("#enabled")
    await page.fill("#f-about", "Clear skies above the ridge.")
    await page.fill("#f-setup", "ASI224MC\nPi 5")
    await page.fill("#f-link-website", "https://ridge.example.org")
    await page.check("#f-signal")
    await page.set_input_files("#f-images", str(photo))
    assert not (await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})).enabled
    await page.click("#save")
    await expect(page.locator("#saved")).to_have_text("Saved.")
    saved = await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})
    assert saved.enabled and saved.signal and len(saved.images) == 1
    await check_page(page, cam + "/profile", "owner-profile-saved")
    await check_page(page, cam + "/profile/preview", "owner-profile-preview")
    # the public profile, for a visitor
    visitor = await browser.new_context()
    public = await visitor.new_page()
    watch_public = Watch(public, base)
    await check_page(public, f"{base}/cameras/{CAMERA}/profile", "camera-profile")
    await expect(public.locator("#about")).to_have_text("Clear skies above the ridge.")
    link = public.locator("#links a")
    assert await link.get_attribute("rel") == "nofollow noopener"
    size = await public.locator(".profile-images img").evaluate(
        "i => i.decode().then(() => [i.naturalWidth, i.naturalHeight])")
    assert size == [800, 600]
    watch_public.check()
    await visitor.close()
    # a copy button copies the address and says so
    await page.goto(cam + "/files")
    await page.click("button[data-copy='url-1']")
    await expect(page.locator("#copied")).to_be_visible()
    watch.check()
    await context.close()

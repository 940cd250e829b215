"""XP and badges on the website: the level, XP and badges on the camera cards
and the camera page (computed by the network service from the capture and
products indexes), the admin's badge page (grant, revoke, audited), in
Chromium at 375 and 1280 px with axe-core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
import pytest_asyncio
from playwright.async_api import async_playwright

from tests.services.network.test_xp import add_frames
from tests.services.web.admin_stack import Stack, admin_stack, csrf_of, session_of
from tests.services.web.sitepages import Watch, check_page
from tests.support.browser import CHROMIUM_ARGS, require_chromium
from zenith.contracts import admin, network, xp

pytestmark = pytest.mark.asyncio(loop_scope="package")


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, remote_host: str
                ) -> AsyncIterator[Stack]:
    folder = tmp_path_factory.mktemp("badges")
    async with admin_stack(folder, remote_host, data=True) as s:
        for camera, name in (("ridge", "Ridge"), ("valley", "Valley")):
            await s.bus.request(network.CAMERA_ADD, {
                "id": camera, "name": name, "location": {"latitude": 47, "longitude": 8}})
        settings = type("S", (), {"resolved_metadata_url": f"sqlite:///{folder / 'capture.db'}"})
        for day in range(3):
            await add_frames(settings, folder / "blobs", "ridge",
                             date(2026, 2, 1) + timedelta(days=day), 100)
        yield s


async def test_xp_on_cards_and_the_camera_page(stack: Stack) -> None:
    client = stack.web.remote()
    expected = await stack.bus.request(xp.XP_GET, {"camera": "ridge"})
    assert expected.xp == 3 + 6 + 9  # 300 images, 3 nights, a 3-night run
    async with client.get("/") as resp:
        text = await resp.text()
    assert f'data-xp="{expected.xp}"' in text and "First night" in text
    async with client.get("/cameras/ridge") as resp:
        text = await resp.text()
    assert f"{expected.xp} XP" in text and "Level 1" in text


async def test_admin_grants_and_revokes_badges(stack: Stack) -> None:
    client = await session_of(stack.web, stack.admin)
    async with client.post("/admin/badges/valley/grant",
                           data={"csrf_token": csrf_of(client), "badge": "supporter"},
                           allow_redirects=False) as resp:
        assert resp.status == 303
    assert "supporter" in (await stack.bus.request(xp.XP_GET, {"camera": "valley"})).badges
    async with client.post("/admin/badges/valley/revoke",
                           data={"csrf_token": csrf_of(client), "badge": "member"},
                           allow_redirects=False) as resp:
        assert resp.status == 303
    assert (await stack.bus.request(xp.XP_GET, {"camera": "valley"})).badges == ["supporter"]
    async with client.post("/admin/badges/valley/grant",
                           data={"csrf_token": csrf_of(client), "badge": "made-up"}) as resp:
        assert resp.status == 400
    async with client.post("/admin/badges/valley/grant", data={"badge": "supporter"}) as resp:
        assert resp.status == 403  # no CSRF field
    owner = await session_of(stack.web, stack.owner)
    async with owner.post("/admin/badges/valley/grant",
                          data={"csrf_token": csrf_of(owner), "badge": "supporter"}) as resp:
        assert resp.status == 403
    entries = (await stack.bus.request(admin.AUDIT_LIST, {"target": "valley"})).entries
    assert [(e.actor, e.action) for e in entries] == [
        (stack.admin.username, "badge.revoke"), (stack.admin.username, "badge.grant")]


async def test_badge_and_home_pages_in_chromium(stack: Stack) -> None:
    base = stack.web.remote_url
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=require_chromium(),
                                           args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            watch = Watch(page, base)
            await check_page(page, base + "/", "xp-home")
            await check_page(page, base + "/cameras/ridge", "xp-camera")
            await page.goto(base + "/login?next=/admin/badges")
            await page.get_by_label("Username").fill(stack.admin.username)
            await page.get_by_label("Password").fill(stack.admin.password)
            await page.get_by_role("button", name="Log in").click()
            await page.wait_for_url(base + "/admin/badges")
            await check_page(page, base + "/admin/badges", "admin-badges")
            row = page.locator("#badges-ridge")
            await row.get_by_label("Badge").select_option("supporter")
            await row.get_by_role("button", name="Grant").click()
            await page.wait_for_selector("#flash")
            assert "Supporter" in await page.inner_text("#badges-ridge")
            watch.check()
        finally:
            await browser.close()

"""A camera's XP, level and badges on its profile: the public
``/cameras/<id>/profile``, the owner's preview of it and the owner's own
profile page ``/owner`` (each camera's card), as on the home cards and the
camera page: the network service's numbers, computed from the capture
index. Real services (auth, network, capture, products, web); Chromium at
375 and 1280 px with axe-core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio

from tests.services.network.test_xp import add_frames
from tests.services.web.admin_stack import Stack, admin_stack, csrf_of, session_of
from tests.services.web.sitepages import check_page
from zenith.contracts import network, profiles, xp

pytestmark = pytest.mark.asyncio(loop_scope="package")


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, remote_host: str) -> AsyncIterator[Stack]:
    folder = tmp_path_factory.mktemp("profilexp")
    async with admin_stack(folder, remote_host, data=True) as s:
        for camera, name in (("ridge", "Ridge"), ("quiet", "Quiet")):
            await s.bus.request(
                network.CAMERA_ADD,
                {
                    "id": camera,
                    "name": name,
                    "owners": [s.owner.username],
                    "location": {"latitude": 47, "longitude": 8},
                },
            )
            await s.bus.request(
                profiles.PROFILE_SAVE,
                {
                    "camera": camera,
                    "name": name,
                    "location": {"latitude": 47, "longitude": 8},
                    "enabled": camera == "ridge",
                    "about": f"About {name}.",
                },
            )
        settings = type("S", (), {"resolved_metadata_url": f"sqlite:///{folder / 'capture.db'}"})
        for day in range(3):
            await add_frames(
                settings, folder / "blobs", "ridge", date(2026, 2, 1) + timedelta(days=day), 100
            )
        yield s


async def test_the_public_profile_shows_xp_level_and_badges(stack: Stack) -> None:
    expected = await stack.bus.request(xp.XP_GET, {"camera": "ridge"})
    assert expected.xp > 0 and "first-night" in expected.badges
    async with stack.web.remote().get("/cameras/ridge/profile") as resp:
        text = await resp.text()
    assert resp.status == 200 and "About Ridge." in text
    assert f'data-xp="{expected.xp}"' in text and f"{expected.xp} XP" in text
    assert f"Level {expected.level}" in text and "First night" in text
    # a disabled profile stays 404, XP or not
    async with stack.web.remote().get("/cameras/quiet/profile") as resp:
        assert resp.status == 404
    # in German too
    async with stack.web.remote().get(
        "/cameras/ridge/profile", headers={"Accept-Language": "de"}
    ) as resp:
        text = await resp.text()
    assert f"Stufe {expected.level}" in text and "Erste Nacht" in text


async def test_the_owner_sees_it_on_their_profile_and_the_preview(stack: Stack) -> None:
    ridge = await stack.bus.request(xp.XP_GET, {"camera": "ridge"})
    quiet = await stack.bus.request(xp.XP_GET, {"camera": "quiet"})
    client = await session_of(stack.web, stack.owner)
    assert csrf_of(client)
    async with client.get("/owner") as resp:
        text = await resp.text()
    assert resp.status == 200
    assert f'data-xp="{ridge.xp}"' in text and f'data-xp="{quiet.xp}"' in text
    assert text.index("Ridge") < text.index(f'data-xp="{ridge.xp}"')
    async with client.get("/owner/cameras/quiet/profile/preview") as resp:
        text = await resp.text()
    assert resp.status == 200 and f'data-xp="{quiet.xp}"' in text  # not enabled: a preview
    async with client.get("/owner/cameras/ridge/profile/preview") as resp:
        assert f"{ridge.xp} XP" in await resp.text()
    # another user's view of the owner area shows none of these cameras
    admin = await session_of(stack.web, stack.admin)
    async with admin.get("/owner") as resp:
        assert 'data-xp="' not in await resp.text()


async def test_profile_xp_in_chromium(stack: Stack, browser: Any) -> None:
    base = stack.web.remote_url
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await check_page(page, base + "/cameras/ridge/profile", "profile-xp")
        assert "XP" in await page.inner_text(".xp")
        await page.goto(base + "/login?next=/owner")
        await page.get_by_label("Username").fill(stack.owner.username)
        await page.get_by_label("Password").fill(stack.owner.password)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(base + "/owner")
        await check_page(page, base + "/owner", "owner-home-xp")
        assert await page.locator(".owner-cameras .xp").count() == 2
    finally:
        await context.close()

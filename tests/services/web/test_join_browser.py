"""The join flow end to end in Chromium: a stranger sends the join form, the
admin approves it in the admin area, the welcome mail reaches a real SMTP
server, and the new owner logs in with the password from the mail. Every
page of the flow and of the admin area at 375 and 1280 px, axe-core clean,
nothing blocked by the CSP and nothing loaded from another site."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import async_playwright

from tests.services.web.admin_stack import Stack, admin_stack
from tests.services.web.sitepages import SHOTS, SIZES, Watch, axe_violations, check_page
from tests.support.browser import CHROMIUM_ARGS, require_chromium
from zenith.contracts import network

pytestmark = pytest.mark.asyncio(loop_scope="package")


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, remote_host: str
                ) -> AsyncIterator[Stack]:
    async with admin_stack(tmp_path_factory.mktemp("joinbrowser"), remote_host) as s:
        yield s


async def test_join_approve_mail_and_first_login_in_chromium(stack: Stack) -> None:
    base = stack.web.remote_url
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=require_chromium(),
                                           args=CHROMIUM_ARGS)
        try:
            # a stranger asks to join
            stranger = await browser.new_page()
            watch = Watch(stranger, base)
            await check_page(stranger, base + "/join", "join-form")
            await stranger.get_by_label("Name").fill("Ada Sky")
            await stranger.get_by_label("Email").fill("ada@example.org")
            await stranger.get_by_label("Camera location").fill("Hilltop, Wales")
            await stranger.get_by_label("Notes").fill("IMX477, fisheye, on the shed roof.")
            await stranger.get_by_role("button", name="Send the request").click()
            await stranger.wait_for_url(base + "/join/received")
            assert "reply by email" in await stranger.inner_text("main")
            await check_page(stranger, base + "/join/received", "join-received")
            # a form error is shown on the page, at both sizes
            await stranger.goto(base + "/join")
            await stranger.get_by_label("Name").fill("Bo")
            await stranger.get_by_label("Email").fill("not an address")
            await stranger.get_by_label("Camera location").fill("Valley")
            await stranger.get_by_role("button", name="Send the request").click()
            await stranger.wait_for_selector("#join-errors")
            assert "Email:" in await stranger.inner_text("#join-errors")
            watch.check()
            [request] = await stack.pending()

            # the admin approves it
            admin = await browser.new_page()
            admin_watch = Watch(admin, base)
            await admin.goto(base + "/login?next=/admin/joins")
            await admin.get_by_label("Username").fill(stack.admin.username)
            await admin.get_by_label("Password").fill(stack.admin.password)
            await admin.get_by_role("button", name="Log in").click()
            await admin.wait_for_url(base + "/admin/joins")
            await check_page(admin, base + "/admin/joins", "admin-joins")
            card = admin.locator(f"#join-{request.id}")
            await card.get_by_label("Owner's username").fill("ada-sky")
            await card.get_by_label("Camera id").fill("hilltop")
            await card.get_by_label("Latitude").fill("52.1")
            await card.get_by_label("Longitude").fill("-3.9")
            await card.get_by_label("Time zone").fill("Europe/London")
            await card.get_by_role("button", name="Approve").click()
            await admin.wait_for_selector("#approved")
            password = (await admin.inner_text("#new-password")).strip()
            key = (await admin.inner_text("#new-key")).strip()
            assert key.startswith("zk_")
            for size, viewport in SIZES.items():  # the answer of a post: checked where it is
                await admin.set_viewport_size(viewport)
                await admin.screenshot(path=str(SHOTS / f"admin-approved-{size}.png"),
                                       full_page=True)
                assert not await axe_violations(admin), size
            for path, name in (("/admin", "admin-home"), ("/admin/cameras", "admin-cameras"),
                               ("/admin/owners", "admin-owners"),
                               ("/admin/settings", "admin-settings"),
                               ("/admin/audit", "admin-audit")):
                await check_page(admin, base + path, name)
            admin_watch.check()

            # the mail arrives, with the password and without the key
            mail = stack.inbox.text()
            assert stack.inbox.messages[-1][0] == ["ada@example.org"]
            assert password in mail and key not in mail
            mailed = re.search(r"one-time password: (\S+)", mail)
            assert mailed and mailed.group(1) == password

            # the new owner logs in with it
            owner_context = await browser.new_context()
            owner = await owner_context.new_page()
            await owner.goto(base + "/login")
            await owner.get_by_label("Username").fill("ada-sky")
            await owner.get_by_label("Password").fill(mailed.group(1))
            await owner.get_by_role("button", name="Log in").click()
            await owner.wait_for_load_state("load")
            cookies = {c["name"] for c in await owner_context.cookies()}
            assert "zenith_session" in cookies
            camera = await stack.bus.request(network.CAMERA_GET, {"camera": "hilltop"})
            assert camera.owners == ["ada-sky"]
        finally:
            await browser.close()

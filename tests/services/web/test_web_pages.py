"""The pages in a real Chromium, as a remote user who has to log in.

Screenshots of each page are written to /tmp/zenith-web-*.png.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import async_playwright, expect

from tests.services.web.webstack import User, WebUnderTest
from tests.support.require import missing

pytestmark = [pytest.mark.asyncio(loop_scope="package"), pytest.mark.browser,
              pytest.mark.usefixtures("gpio_service", "capture_service")]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path("/tmp")


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        missing("chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest_asyncio.fixture(loop_scope="package")
async def page(web: WebUnderTest, chromium: str) -> AsyncIterator[Any]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=ARGS)
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.set_default_timeout(15000)
        try:
            yield page
        finally:
            await browser.close()
        assert not [e for e in errors if "Content Security Policy" in e or "TypeError" in e], \
            errors


async def log_in(page: Any, web: WebUnderTest, user: User,
                 next_path: str = "/dashboard") -> None:
    await page.goto(web.remote_url + next_path)
    assert "/login" in page.url
    await page.fill("input[name=username]", user.username)
    await page.fill("input[name=password]", user.password)
    await page.click("button[type=submit]")
    await page.wait_for_url(web.remote_url + next_path)


async def test_login_page_refuses_a_wrong_password(page: Any, web: WebUnderTest,
                                                   admin: User) -> None:
    await page.goto(web.remote_url + "/dashboard")
    await page.screenshot(path=str(SHOTS / "zenith-web-login.png"))
    await page.fill("input[name=username]", admin.username)
    await page.fill("input[name=password]", "not the password")
    await page.click("button[type=submit]")
    await page.wait_for_selector("#login-error")
    assert "Wrong username or password." in await page.inner_text("#login-error")
    assert await page.input_value("input[name=username]") == admin.username
    await page.screenshot(path=str(SHOTS / "zenith-web-login-error.png"))


async def test_dashboard_status_and_setting_pins(page: Any, web: WebUnderTest,
                                                 admin: User) -> None:
    await log_in(page, web, admin)
    assert admin.username in await page.inner_text(".who")
    # the capture card fills in from /allsky/status
    await page.wait_for_selector("#status-html .status-card")
    card = (await page.text_content("#status-html")) or ""
    assert "Frames" in card and "Exposure" in card and "simulator" in card
    # a digital pin through the form
    await page.select_option("#pin-select", "D24")
    await page.fill("input[name=name]", "Dew heater")
    await page.check("input[name=mode][value=digital]")
    await page.select_option("select[name=state]", "on")
    await page.click("#pin-form button[type=submit]")
    await page.wait_for_selector("#pin-form-result.ok")
    assert "D24 is on" in await page.inner_text("#pin-form-result")
    row = page.locator("#pins-body tr[data-pin=D24]")
    await row.wait_for()
    text = await row.inner_text()
    assert "Dew heater" in text and "output" in text and "on" in text
    # a PWM duty through the form
    await page.select_option("#pin-select", "D25")
    await page.fill("input[name=name]", "")
    await page.check("input[name=mode][value=pwm]")
    await page.fill("#duty", "40")
    await page.fill("input[name=frequency]", "200")
    await page.click("#pin-form button[type=submit]")
    row = page.locator("#pins-body tr[data-pin=D25]")
    await row.wait_for()
    assert "40 % @ 200 Hz" in await row.inner_text()
    # a bad value is shown, not applied
    await page.fill("input[name=frequency]", "0")
    await page.click("#pin-form button[type=submit]")
    await page.wait_for_selector("#pin-form-result.error")
    assert "frequency" in await page.inner_text("#pin-form-result")
    assert "40 % @ 200 Hz" in await row.inner_text()
    await page.screenshot(path=str(SHOTS / "zenith-web-dashboard.png"), full_page=True)
    # the toggle button in the list turns D24 off
    await page.click("#pins-body tr[data-pin=D24] button[title='Turn D24 off']")
    await expect(page.locator("#pins-body tr[data-pin=D24] button[title='Turn D24 on']")
                 ).to_be_visible()


async def test_dashboard_shows_the_nights_meteor_candidates(page: Any, web: WebUnderTest,
                                                            admin: User) -> None:
    await log_in(page, web, admin)
    card = page.locator("#meteors-card")
    assert "Meteors" in await card.inner_text()
    count = (await page.text_content("#meteor-count")) or ""
    assert count.strip().isdigit()  # capture answered: the candidates of its night
    rows = await page.locator("#meteors-body tr").count()
    assert rows == min(int(count), 5)


async def test_focuser_page_frame_and_buttons(page: Any, web: WebUnderTest,
                                              admin: User) -> None:
    await log_in(page, web, admin, "/focuser")
    await expect(page.locator("#frame")).to_have_attribute("src", re.compile("^blob:"))
    assert await page.locator("#frame").evaluate("img => img.decode().then(() => "
                                                 "img.naturalWidth)") > 0
    await expect(page.locator("#f-position")).to_have_text(re.compile(r"^\d+$"))
    for button in ("#move-in", "#move-out", "#stop", "#autofocus"):
        assert await page.is_visible(button)
    before = int(await page.inner_text("#f-position"))
    await page.select_option("#step-size", "10")
    await page.click("#move-out")
    await expect(page.locator("#f-position")).to_have_text(str(before + 10))
    await expect(page.locator("#frame-info")).to_contain_text(re.compile("HFR|sharpness"))
    # autofocus around the simulated lens's best focus: the curve is drawn
    async with web.local().post("/focuser/move", json={"position": 1000, "wait": True}) as r:
        assert r.status == 200
    await expect(page.locator("#f-position")).to_have_text("1000")
    await page.click("#autofocus")
    await expect(page.locator("#focuser-result")).to_contain_text("Autofocus done",
                                                                   timeout=120000)
    assert await page.locator("#af-chart circle.point").count() >= 5
    assert await page.locator("#af-chart polyline.curve").count() == 1
    await expect(page.locator("#af-info")).to_contain_text("Best focus at")
    await page.screenshot(path=str(SHOTS / "zenith-web-focuser.png"), full_page=True)


async def test_logout(page: Any, web: WebUnderTest, admin: User) -> None:
    await log_in(page, web, admin)
    await page.click("text=Log out")
    await page.wait_for_url("**/login")
    await page.goto(web.remote_url + "/dashboard")
    assert "/login" in page.url

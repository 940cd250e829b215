"""The sensors routes end to end: HTTP -> web -> NATS -> sensors (simulated) and
gpio (mock pins) -> back; the dashboard's sensors card in a real Chromium."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.services.web.webstack import CAMERA, User, WebUnderTest
from tests.support.require import missing
from zenith.runner import service_context

pytestmark = [pytest.mark.asyncio(loop_scope="package"),
              pytest.mark.usefixtures("gpio_service", "sensors_service")]

CHROMIUM = "/usr/bin/chromium"


@pytest_asyncio.fixture(scope="module", loop_scope="package")
async def sensors_service(nats_url: str, tmp_path_factory: pytest.TempPathFactory
                          ) -> AsyncIterator[None]:
    from zenith_sensors.config import HeaterRule, SensorSpec
    from zenith_sensors.main import serve
    from zenith_sensors.settings import SensorsSettings

    settings = SensorsSettings(
        nats_url=nats_url, camera=CAMERA, data_dir=tmp_path_factory.mktemp("sensors"),
        sensors_backend="simulated", sensors_alerts=[], sensors_fans=[],
        sensors_devices=[SensorSpec(name="dome", driver="bme280", interval_s=0.2)],
        sensors_heaters=[HeaterRule(name="heater", pin=21, sensor="dome")],
        sensors_control_interval_s=1,
        sensors_sim_start=datetime(2026, 1, 10, 17, 40, tzinfo=UTC))  # dusk: far from dew
    async with service_context("sensors", settings, serve):
        yield


async def call(web: WebUnderTest, method: str, path: str, body: Any = None
               ) -> tuple[int, Any]:
    async with web.local().request(method, path, json=body) as resp:
        return resp.status, await resp.json()


async def test_current_status_series_and_override(web: WebUnderTest) -> None:
    for _ in range(100):
        status, current = await call(web, "GET", "/sensors/current")
        if current.get("readings"):
            break
        await asyncio.sleep(0.1)
    assert status == 200
    dome = next(r for r in current["readings"] if r["sensor"] == "dome")
    assert dome["measurement"] == "bme280" and "dewpoint" in dome["fields"]
    status, body = await call(web, "GET", "/sensors/status")
    assert status == 200 and body["camera"] == CAMERA
    assert [c["name"] for c in body["controls"]] == ["heater"]
    status, body = await call(web, "POST", "/sensors/override",
                              {"name": "heater", "state": "on", "minutes": 5})
    assert status == 200 and body["on"] is True and body["override"]["state"] == "on"
    async with web.local().get("/gpio/all") as resp:
        pins = await resp.json()
    assert pins["D21"]["name"] == "heater" and pins["D21"]["value"] == "on"
    status, body = await call(web, "POST", "/sensors/override",
                              {"name": "heater", "state": "auto"})
    assert status == 200 and body["override"] is None
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    status, body = await call(web, "POST", "/sensors/series", {
        "camera": CAMERA, "measurement": "bme280", "fields": ["temp"], "start": start,
        "every_s": 60, "aggregate": "mean"})
    assert status == 200 and body["measurement"] == "bme280"


async def test_bad_input_is_a_4xx_json_error(web: WebUnderTest) -> None:
    status, body = await call(web, "POST", "/sensors/override", {"name": "nope", "state": "on"})
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = await call(web, "POST", "/sensors/override", {"name": "heater",
                                                                 "state": "warm"})
    assert status == 400
    status, body = await call(web, "POST", "/sensors/series", {"camera": CAMERA})
    assert status == 400


async def test_a_viewer_reads_but_cannot_override(web: WebUnderTest, viewer: User) -> None:
    async with web.remote() as client:
        async with client.post("/login", json={"username": viewer.username,
                                               "password": viewer.password}) as resp:
            tokens = await resp.json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        async with client.get("/sensors/status", headers=auth) as resp:
            assert resp.status == 200
        async with client.post("/sensors/override", headers=auth,
                               json={"name": "heater", "state": "on"}) as resp:
            assert resp.status == 403


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        missing("chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.mark.browser
async def test_dashboard_sensors_card(web: WebUnderTest, admin: User, chromium: str) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium,
                                           args=["--no-sandbox", "--disable-gpu"])
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            await page.goto(web.remote_url + "/dashboard")
            await page.fill("input[name=username]", admin.username)
            await page.fill("input[name=password]", admin.password)
            await page.click("button[type=submit]")
            await page.wait_for_url(web.remote_url + "/dashboard")
            row = page.locator("#sensors-body tr[data-sensor=dome]")
            await expect(row).to_contain_text("temp")
            await expect(row).to_contain_text("ok")
            heater = page.locator("#controls-list li[data-control=heater]")
            await expect(heater).to_contain_text("above the dew point")
            await heater.locator("button[title='heater: On 1 h']").click()
            await expect(page.locator("#sensors-result")).to_contain_text("heater: on")
            await heater.locator("button[title='heater: Auto']").click()
            await expect(page.locator("#sensors-result")).to_contain_text("heater: off")
            await page.screenshot(path="/tmp/zenith-web-dashboard-sensors.png", full_page=True)
        finally:
            await browser.close()
    assert not errors, errors

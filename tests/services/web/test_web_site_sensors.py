"""The sensor page: a chart per sensor value (the node's simulated BME280
and capture's sky metrics), downsampled by the sensors service, four
ranges, over HTTP and in Chromium at 375 and 1280 px with axe-core."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from playwright.async_api import async_playwright

from tests.services.web.sitepages import Watch, check_page
from tests.services.web.webstack import CAMERA, WebUnderTest
from tests.support.browser import CHROMIUM_ARGS, require_chromium
from zenith.bus.client import BusClient
from zenith.contracts import sensors
from zenith.runner import service_context

pytestmark = [
    pytest.mark.asyncio(loop_scope="package"),
    pytest.mark.usefixtures("capture_service", "site_sensors"),
]


@pytest_asyncio.fixture(scope="module", loop_scope="package")
async def site_sensors(
    nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[None]:
    from zenith_sensors.config import SensorSpec
    from zenith_sensors.main import serve
    from zenith_sensors.settings import SensorsSettings

    settings = SensorsSettings(
        nats_url=nats_url,
        camera=CAMERA,
        data_dir=tmp_path_factory.mktemp("site-sensors"),
        sensors_backend="simulated",
        sensors_alerts=[],
        sensors_fans=[],
        sensors_heaters=[],
        sensors_devices=[SensorSpec(name="dome", driver="bme280", interval_s=0.5)],
    )
    async with service_context("sensors", settings, serve):
        yield


async def wait_for_rows(bus: BusClient, measurement: str, field: str) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    for _ in range(240):
        reply = await bus.request(
            sensors.SERIES,
            sensors.SeriesRequest(
                camera=CAMERA, measurement=measurement, fields=[field], start=start, every_s=60
            ),
        )
        if any(r.values.get(field) is not None for r in reply.rows):
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"no {measurement}.{field} in 120 s")


async def test_sensor_page_charts_ranges_and_notes(web: WebUnderTest, bus: BusClient) -> None:
    await wait_for_rows(bus, "bme280", "temp")
    await wait_for_rows(bus, sensors.SKY_SENSOR, "sqm")
    client = web.remote()
    async with client.get(f"/cameras/{CAMERA}/sensors") as resp:
        assert resp.status == 200
        text = await resp.text()
    for title in (
        "Temperature · dome",
        "Humidity · dome",
        "Pressure · dome",
        "Dew point · dome",
        "Sky brightness (SQM)",
        "Cloud cover",
    ):
        assert title in text, title
    assert text.count('class="chart"') >= 5
    assert re.search(r"Last -?[\d.]+ °C · lowest", text)
    assert "of 5 min" in text  # 24 h in 5-minute buckets, never raw
    for name, minutes in (("7d", 30), ("30d", 120), ("1y", 1440)):
        async with client.get(f"/cameras/{CAMERA}/sensors", params={"range": name}) as resp:
            assert resp.status == 200
            assert f"of {minutes} min" in await resp.text()
    async with client.get(f"/cameras/{CAMERA}/sensors", params={"range": "5y"}) as resp:
        assert resp.status == 200  # an unknown range shows 24 h
    async with client.get("/cameras/elsewhere/sensors") as resp:
        assert resp.status == 404


@pytest.mark.browser
async def test_sensor_page_in_chromium(web: WebUnderTest, bus: BusClient) -> None:
    await wait_for_rows(bus, "bme280", "temp")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(20000)
            watch = Watch(page, web.remote_url)
            await check_page(
                page, web.remote_url + f"/cameras/{CAMERA}/sensors", "site-sensors-24h"
            )
            charts = await page.locator(".chart[data-series]").count()
            assert charts >= 5
            assert await page.locator(".chart canvas").count() == charts
            await check_page(
                page, web.remote_url + f"/cameras/{CAMERA}/sensors?range=7d", "site-sensors-7d"
            )
            watch.check()
        finally:
            await browser.close()


async def test_a_new_sensor_shows_on_the_next_page_by_its_reading(
    web: WebUnderTest, bus: BusClient
) -> None:
    """The page's newest fields and series are kept in web (a minute and more); a
    reading holding a field they lack drops them, so its chart comes at once."""
    await wait_for_rows(bus, "bme280", "temp")
    client = web.remote()
    for name in ("24h", "1y"):  # both kept, then both must show it
        async with client.get(f"/cameras/{CAMERA}/sensors", params={"range": name}) as resp:
            assert resp.status == 200
            assert "· roof" not in await resp.text()
    js = bus.nc.jetstream()
    reading = sensors.Reading(
        camera=CAMERA,
        sensor="roof",
        measurement="roof_env",
        fields={"temp": 4.5},
        time=datetime.now(UTC),
    )
    await js.publish(
        sensors.SENSOR_READING.subject_for(camera=CAMERA, sensor="roof"),
        reading.model_dump_json().encode(),
    )
    for name in ("24h", "1y"):
        for _ in range(40):  # the store writes it a moment after the event
            async with client.get(f"/cameras/{CAMERA}/sensors", params={"range": name}) as resp:
                text = await resp.text()
            if "Temperature · roof" in text:
                break
            await asyncio.sleep(0.25)
        else:
            raise AssertionError(f"the new sensor is not on the {name} page in 10 s")

"""Sensors of an uploading camera on a hub: switched off by the owner (its uploads
dropped in every dialect, gone from the pages, back when switched on), charted on
the public sensor page with the owner's labels, and the SQM readings counted in
the data size. Real sensors, network and web services; the page in Chromium."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.services.web.ownerstack import OTHER, Hub, csrf_of, session_of, start_hub
from tests.services.web.sitepages import Watch, check_page
from tests.services.web.webstack import CAMERA
from zenith.bus.client import BusClient
from zenith.contracts import camerakeys, ingest, profiles, sensors
from zenith.runner import service_context

pytestmark = [pytest.mark.asyncio(loop_scope="package")]


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def hub(
    nats_url: str,
    remote_host: str,
    auth_service: Any,
    blob_dir: Path,
    bus: BusClient,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Hub]:
    from zenith_sensors.main import serve
    from zenith_sensors.settings import SensorsSettings

    settings = SensorsSettings(
        nats_url=nats_url,
        camera=CAMERA,
        data_dir=tmp_path_factory.mktemp("sensors-switch"),
        sensors_backend="simulated",
        sensors_alerts=[],
        sensors_fans=[],
        sensors_heaters=[],
        sensors_devices=[],
    )
    async with (
        service_context("sensors", settings, serve),
        start_hub(
            nats_url, remote_host, blob_dir, bus, tmp_path_factory.mktemp("network-switch")
        ) as under_test,
    ):
        yield under_test


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def key(bus: BusClient, hub: Hub) -> str:
    return str((await bus.request(camerakeys.KEY_ISSUE, {"camera": OTHER})).key)


async def upload(
    client: aiohttp.ClientSession,
    key: str,
    *,
    weather: float | None = None,
    line: str | None = None,
    batch: list[dict[str, Any]] | None = None,
    idem: str = "b1",
) -> list[Any]:
    """Readings of OTHER through each dialect; the answers."""
    out: list[Any] = []
    if weather is not None:
        async with client.post(
            "/api/v1/weather.php",
            headers={"X-API-Key": key},
            json={"sensor": "roof", "values": {"wind": weather}},
        ) as resp:
            assert resp.status == 200, await resp.text()
            out.append(await resp.json())
    if line is not None:
        async with client.get("/getSecrets.php", params={"key": key}) as resp:
            token = (await resp.json())["influx_token"]
        async with client.post(
            "/api/v2/write",
            data=line.encode(),
            params={"org": "zenith", "bucket": "zenith"},
            headers={"Authorization": f"Token {token}"},
        ) as resp:
            assert resp.status == 204, await resp.text()
            out.append(None)
    if batch is not None:
        async with client.post(
            f"{ingest.ZENITH_PREFIX}/{OTHER}/readings",
            json={"readings": batch},
            headers={"X-API-Key": key, "Idempotency-Key": idem},
        ) as resp:
            assert resp.status == 200, await resp.text()
            out.append(await resp.json())
    return out


def dome2(value: float, minute: int) -> dict[str, Any]:
    from zenith.timefmt import utcnow

    return {
        "sensor": "dome2",
        "measurement": "bme280",
        "time": utcnow().replace(microsecond=0).isoformat().replace("+00:00", "Z")
        if minute < 0
        else f"2026-01-01T00:{minute:02d}:00Z",
        "fields": {"temp": value, "hum": 70.0},
        "tags": {"sensor": "dome2"},
    }


async def latest(bus: BusClient) -> dict[tuple[str, str | None, str], float]:
    reply = await bus.request(sensors.LATEST, {"camera": OTHER})
    return {(f.measurement, f.sensor, f.field): f.value for f in reply.fields}


async def wait_latest(
    bus: BusClient, want: dict[tuple[str, str | None, str], float]
) -> dict[tuple[str, str | None, str], float]:
    got: dict[tuple[str, str | None, str], float] = {}
    for _ in range(120):
        got = await latest(bus)
        if all(got.get(k) == v for k, v in want.items()):
            return got
        await asyncio.sleep(0.25)
    raise AssertionError(f"{want} not stored: {got}")


async def post_enabled(
    client: aiohttp.ClientSession,
    enabled: list[str],
    listed: tuple[str, ...] = ("bme280", "dome2", "roof"),
    csrf: bool = True,
    camera: str = OTHER,
) -> aiohttp.ClientResponse:
    data = [("csrf_token", csrf_of(client))] if csrf else []
    data += [("sensor", s) for s in listed] + [("enable", s) for s in enabled]
    async with client.post(
        f"/owner/cameras/{camera}/sensors/enabled", data=data, allow_redirects=False
    ) as resp:
        await resp.read()
        return resp


async def test_uploaded_sensors_charted_switched_off_and_on(
    hub: Hub, bus: BusClient, key: str
) -> None:
    public = hub.web.remote()
    bob = await session_of(hub.web, hub.bob)
    answers = await upload(
        public, key, weather=3.5, line="bme280,kamera=OWN102 temp=3.5", batch=[dome2(7.0, 1)]
    )
    assert answers[0] == {"ok": True, "stored": 1}
    assert answers[2] == {"ok": True, "stored": 1, "dropped": 0, "disabled_sensors": []}
    await wait_latest(
        bus,
        {
            ("ext_sensors", "roof", "wind"): 3.5,
            ("bme280", None, "temp"): 3.5,
            ("bme280", "dome2", "temp"): 7.0,
        },
    )
    # the owner's page lists each with a switch; the public page charts them
    async with bob.get(f"/owner/cameras/{OTHER}/sensors") as resp:
        page = await resp.text()
    for name in ("bme280", "dome2", "roof"):
        assert f'value="{name}" id="enable-{name}" checked' in page, name
    async with bob.post(
        f"/owner/cameras/{OTHER}/sensors/labels",
        data=[
            ("csrf_token", csrf_of(bob)),
            ("key", "ext_sensors:wind"),
            ("label:ext_sensors:wind", "Wind speed"),
            ("unit:ext_sensors:wind", "m/s"),
        ],
        allow_redirects=False,
    ) as resp:
        assert resp.status == 303
    async with public.get(f"/cameras/{OTHER}/sensors") as resp:
        text = await resp.text()
    for title in (
        "Temperature · bme280",
        "Temperature · dome2",
        "Humidity · dome2",
        "Wind speed · roof",
    ):
        assert title in text, title
    assert "(m/s)" in text and 'data-series="' in text
    # 2026-01-01 is outside 24 h: the dome2 chart is there without points; the others
    # (stored at arrival) have theirs
    assert text.count('class="chart"') >= 2

    # switched off: roof and bme280
    resp = await post_enabled(bob, ["dome2"])
    assert resp.status == 303 and resp.headers["Location"].endswith("?enabled=1")
    saved = await bus.request(profiles.PROFILE_GET, {"camera": OTHER})
    assert saved.disabled_sensors == ["bme280", "roof"]
    assert saved.field_labels["ext_sensors:wind"].label == "Wind speed"
    answers = await upload(
        public,
        key,
        weather=9.5,
        line="bme280,kamera=OWN102 temp=9.5",
        batch=[dome2(8.0, 2), {**dome2(1.0, 3), "sensor": "bme280"}],
        idem="b2",
    )
    assert answers[0] == {"ok": True, "stored": 0, "disabled": True}
    assert answers[2] == {
        "ok": True,
        "stored": 1,
        "dropped": 1,
        "disabled_sensors": ["bme280", "roof"],
    }
    got = await wait_latest(bus, {("bme280", "dome2", "temp"): 8.0})  # after the others
    assert got[("ext_sensors", "roof", "wind")] == 3.5
    assert got[("bme280", None, "temp")] == 3.5  # 9.5 was dropped
    async with bob.get(f"/owner/cameras/{OTHER}/sensors?enabled=1") as resp:
        page = await resp.text()
    assert 'id="enabled-saved"' in page
    assert (
        'value="roof" id="enable-roof" >' in page
        and 'value="dome2" id="enable-dome2" checked' in page
    )
    row = page.split('data-sensor="bme280"')[1].split("</tr>")[0]
    assert 'data-state="disabled"' in row and "switched off" in row
    async with public.get(f"/cameras/{OTHER}/sensors") as resp:
        text = await resp.text()
    assert "Temperature · dome2" in text
    assert "· roof" not in text and "· bme280" not in text

    # bad input, another owner, no CSRF: a clear 4xx, nothing changed
    for listed in (("<script>",), ()):
        async with bob.post(
            f"/owner/cameras/{OTHER}/sensors/enabled",
            data=[("csrf_token", csrf_of(bob)), *[("sensor", s) for s in listed]],
            headers={"Accept": "application/json"},
        ) as resp:
            assert resp.status == 400, listed
            body = await resp.json()
            assert body["error"]["code"] == "bad_sensor", body
    alice = await session_of(hub.web, hub.alice)
    assert (await post_enabled(alice, ["bme280", "dome2", "roof"])).status == 404
    assert (await post_enabled(bob, ["bme280", "dome2", "roof"], csrf=False)).status == 403
    assert (await bus.request(profiles.PROFILE_GET, {"camera": OTHER})).disabled_sensors == [
        "bme280",
        "roof",
    ]
    # the profile editor keeps the choice
    assert "disabled_sensors" in profiles.ProfileFields.model_fields

    # on again: stored again at once (this web process forgets its cached choice)
    assert (await post_enabled(bob, ["bme280", "dome2", "roof"])).status == 303
    assert (await bus.request(profiles.PROFILE_GET, {"camera": OTHER})).disabled_sensors == []
    answers = await upload(public, key, weather=4.5)
    assert answers[0] == {"ok": True, "stored": 1}
    await wait_latest(bus, {("ext_sensors", "roof", "wind"): 4.5})
    async with public.get(f"/cameras/{OTHER}/sensors") as resp:
        assert "Wind speed · roof" in await resp.text()


async def test_data_size_counts_the_sqm_readings(hub: Hub, bus: BusClient, key: str) -> None:
    public = hub.web.remote()
    batch = [
        {
            "sensor": "sqm",
            "measurement": "tsl2591",
            "time": f"2026-01-02T00:0{n}:00Z",
            "fields": {"SQM_RAW": 20.0 + n / 10, "Lux": 0.01},
            "tags": {"sensor": "sqm"},
        }
        for n in range(4)
    ]
    await upload(public, key, batch=batch, idem="sqm-1")
    for _ in range(120):
        usage = await bus.request(
            sensors.USAGE, {"camera": OTHER, "measurements": ["sky", "tsl2591"]}
        )
        if sum(m.points for m in usage.measurements) == 4:
            break
        await asyncio.sleep(0.25)
    by = {m.measurement: m for m in usage.measurements}
    assert by["tsl2591"].points == 4 and by["sky"].points == 0
    bob = await session_of(hub.web, hub.bob)
    async with bob.get(f"/owner/cameras/{OTHER}") as resp:
        assert resp.status == 200
        text = await resp.text()
    row = text.split('data-group="sqm"')[1].split("</tr>")[0]
    assert "SQM readings" in row and "<td>4</td>" in row
    assert (
        "sensors" not in text.split("Not answering:")[-1].split("</p>")[0]
        if "Not answering:" in text
        else True
    )


@pytest.mark.browser
async def test_uploaded_sensor_charts_in_chromium(
    browser: Any, hub: Hub, bus: BusClient, key: str
) -> None:
    public = hub.web.remote()
    await upload(
        public,
        key,
        weather=5.5,
        line="bme280,kamera=OWN102 temp=4.0,hum=81",
        batch=[dome2(6.0, -1)],
        idem="chromium-1",
    )
    await wait_latest(bus, {("ext_sensors", "roof", "wind"): 5.5, ("bme280", "dome2", "temp"): 6.0})
    base = hub.web.remote_url
    context = await browser.new_context()
    try:
        page = await context.new_page()
        page.set_default_timeout(20000)
        watch = Watch(page, base)
        await check_page(page, f"{base}/cameras/{OTHER}/sensors", "site-sensors-uploaded")
        charts = await page.locator(".chart[data-series]").count()
        assert charts >= 3
        assert await page.locator(".chart canvas").count() == charts
        await page.goto(base + "/login")
        await page.fill("input[name=username]", hub.bob.username)
        await page.fill("input[name=password]", hub.bob.password)
        await page.click("button[type=submit]")
        await page.wait_for_url(base + "/owner")
        await check_page(page, f"{base}/owner/cameras/{OTHER}/sensors", "owner-sensors-switch")
        await page.uncheck("#enable-roof")
        await page.click("#save-enabled")
        await page.wait_for_selector("#enabled-saved")
        assert (await bus.request(profiles.PROFILE_GET, {"camera": OTHER})).disabled_sensors == [
            "roof"
        ]
        await check_page(
            page, f"{base}/owner/cameras/{OTHER}/sensors?enabled=1", "owner-sensors-switched"
        )
        await page.check("#enable-roof")
        await page.click("#save-enabled")
        await page.wait_for_selector("#enabled-saved")
        await check_page(page, f"{base}/owner/cameras/{OTHER}", "owner-camera-sqm")
        watch.check()
    finally:
        await context.close()

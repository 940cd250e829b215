"""The owner's sensors page: the camera's sensors with their last data, the
external sensors' API, and the camera key rotated with the new key shown
once (the old one working for the chosen grace period); another owner's
camera is not there."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.services.web.ownerstack import OTHER, Hub, csrf_of, session_of, start_hub
from tests.services.web.webstack import CAMERA
from zenith.bus.client import BusClient
from zenith.contracts import camerakeys
from zenith.runner import service_context

pytestmark = [pytest.mark.asyncio(loop_scope="package")]


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def hub(nats_url: str, remote_host: str, auth_service: Any, blob_dir: Path,
              bus: BusClient, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    from zenith_sensors.config import SensorSpec
    from zenith_sensors.main import serve
    from zenith_sensors.settings import SensorsSettings

    settings = SensorsSettings(
        nats_url=nats_url, camera=CAMERA, data_dir=tmp_path_factory.mktemp("sensors"),
        sensors_backend="simulated", sensors_alerts=[], sensors_fans=[], sensors_heaters=[],
        sensors_devices=[SensorSpec(name="dome", driver="bme280", interval_s=0.5)])
    async with service_context("sensors", settings, serve), \
            start_hub(nats_url, remote_host, blob_dir, bus,
                      tmp_path_factory.mktemp("network")) as under_test:
        yield under_test


async def test_sensors_api_and_key_rotation(hub: Hub, bus: BusClient) -> None:
    alice = await session_of(hub.web, hub.alice)
    url = f"/owner/cameras/{CAMERA}/sensors"
    text = ""
    for _ in range(60):
        async with alice.get(url) as resp:
            assert resp.status == 200
            text = await resp.text()
        if 'data-sensor="dome"' in text:
            break
    assert 'data-sensor="dome"' in text and "temperature" in text
    # what the node's configuration reads, and how that goes (sensors.STATUS)
    row = text.split('data-sensor="dome"')[1].split("</tr>")[0]
    assert 'class="sensor-state" data-state="' in row
    assert "enabled, reading" in row or "starting" in row or "enabled, failing" in row
    assert f"POST {hub.web.remote_url}/api/v1/weather.php" in text and "X-API-Key" in text
    assert 'id="new-key"' not in text
    first = await bus.request(camerakeys.KEY_ISSUE, {"camera": CAMERA})
    async with alice.post(url + "/key", data={"csrf_token": csrf_of(alice),
                                              "grace_s": "3600"}) as resp:
        assert resp.status == 200
        assert resp.headers["Cache-Control"] == "no-store"
        text = await resp.text()
    key = re.search(r'value="(zk_[^"]+)" id="key-value"', text)
    assert key is not None
    new_key = key.group(1)
    assert (await bus.request(camerakeys.KEY_CHECK, {"credential": new_key})).camera == CAMERA
    assert (await bus.request(camerakeys.KEY_CHECK,
                              {"credential": first.key})).camera == CAMERA  # grace period
    assert "The previous key works until" in text
    async with alice.get(url) as resp:
        assert new_key not in await resp.text()  # shown once
    # no grace period: rejected choices change nothing; bob cannot rotate alice's key
    keys_before = await bus.request(camerakeys.KEY_LIST, {"camera": CAMERA})
    async with alice.post(url + "/key", data={"csrf_token": csrf_of(alice),
                                              "grace_s": "99"}) as resp:
        assert resp.status == 400
    bob = await session_of(hub.web, hub.bob)
    async with bob.post(url + "/key", data={"csrf_token": csrf_of(bob),
                                            "grace_s": "0"}) as resp:
        assert resp.status == 404
    async with bob.post(url + "/key", data={"grace_s": "0"}) as resp:
        assert resp.status == 403
    assert await bus.request(camerakeys.KEY_LIST, {"camera": CAMERA}) == keys_before
    async with bob.get(f"/owner/cameras/{OTHER}/sensors") as resp:
        assert resp.status == 200


async def test_a_hidden_sensor_leaves_the_public_sensor_page(hub: Hub, bus: BusClient) -> None:
    from zenith.contracts import network, profiles

    alice = await session_of(hub.web, hub.alice)
    public = hub.web.remote()
    text = ""
    for _ in range(60):
        async with public.get(f"/cameras/{CAMERA}/sensors") as resp:
            text = await resp.text()
        if "dome" in text:
            break
    assert "dome" in text
    async with alice.get(f"/owner/cameras/{CAMERA}/sensors") as resp:
        page = await resp.text()
    assert 'id="show-dome"' in page and 'value="dome" id="show-dome" checked' in page
    before = await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})
    cam = await bus.request(network.CAMERA_GET, {"camera": CAMERA})
    async with alice.post(f"/owner/cameras/{CAMERA}/sensors/display", data=[
            ("csrf_token", csrf_of(alice)), ("sensor", "dome")],
            allow_redirects=False) as resp:
        assert resp.status == 303
    after = await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})
    assert after.hidden_sensors == ["dome"]
    assert after.about == before.about and after.images == before.images
    assert (await bus.request(network.CAMERA_GET, {"camera": CAMERA})).location == cam.location
    async with public.get(f"/cameras/{CAMERA}/sensors") as resp:
        assert "dome" not in await resp.text()
    async with alice.get(f"/owner/cameras/{CAMERA}/sensors?saved=1") as resp:
        page = await resp.text()
    assert 'value="dome" id="show-dome" >' in page or 'value="dome" id="show-dome">' in page
    # bob cannot change alice's choice; a bad sensor name changes nothing
    bob = await session_of(hub.web, hub.bob)
    async with bob.post(f"/owner/cameras/{CAMERA}/sensors/display", data=[
            ("csrf_token", csrf_of(bob)), ("sensor", "dome"), ("show", "dome")]) as resp:
        assert resp.status == 404
    async with alice.post(f"/owner/cameras/{CAMERA}/sensors/display", data=[
            ("csrf_token", csrf_of(alice)), ("sensor", "<script>")]) as resp:
        assert resp.status == 400
    assert (await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})).hidden_sensors == [
        "dome"]
    async with alice.post(f"/owner/cameras/{CAMERA}/sensors/display", data=[
            ("csrf_token", csrf_of(alice)), ("sensor", "dome"), ("show", "dome")],
            allow_redirects=False) as resp:
        assert resp.status == 303
    async with public.get(f"/cameras/{CAMERA}/sensors") as resp:
        assert "dome" in await resp.text()


async def test_data_received_per_measurement_with_labels_and_units(hub: Hub,
                                                                   bus: BusClient) -> None:
    """The stored readings' newest point per measurement (sensors.LATEST), then a
    label and unit per field, shown on the public sensor page; another owner,
    a missing CSRF token and a bad label change nothing."""
    from zenith.contracts import profiles, sensors

    alice = await session_of(hub.web, hub.alice)
    url = f"/owner/cameras/{CAMERA}/sensors"
    latest: list[sensors.LatestField] = []
    for _ in range(120):
        latest = (await bus.request(sensors.LATEST, {"camera": CAMERA})).fields
        if any(f.field == "temp" for f in latest):
            break
        await asyncio.sleep(0.5)
    temp = next((f for f in latest if f.field == "temp"), None)
    assert temp is not None, latest
    key = f"{temp.measurement}:temp"
    async with alice.get(url) as resp:
        text = await resp.text()
    assert f'data-measurement="{temp.measurement}"' in text
    assert f'data-field="{key}"' in text and 'id="labels-form"' in text
    before = await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})
    async with alice.post(url + "/labels", data=[
            ("csrf_token", csrf_of(alice)), ("key", key), (f"label:{key}", "Dome air"),
            (f"unit:{key}", "°C")], allow_redirects=False) as resp:
        assert resp.status == 303, await resp.text()
    after = await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})
    assert after.field_labels[key] == profiles.FieldLabel(label="Dome air", unit="°C")
    assert after.hidden_sensors == before.hidden_sensors and after.about == before.about
    async with alice.get(url + "?labels=1") as resp:
        text = await resp.text()
    assert 'id="labels-saved"' in text and "Dome air" in text
    public = hub.web.remote()
    async with public.get(f"/cameras/{CAMERA}/sensors") as resp:
        assert "Dome air" in await resp.text()
    # bob, no CSRF token, a bad label: nothing changes
    bob = await session_of(hub.web, hub.bob)
    async with bob.post(url + "/labels", data=[("csrf_token", csrf_of(bob)), ("key", key),
                                               (f"label:{key}", "bob's")]) as resp:
        assert resp.status == 404
    async with alice.post(url + "/labels", data=[("key", key),
                                                 (f"label:{key}", "no csrf")]) as resp:
        assert resp.status == 403
    async with alice.post(url + "/labels", data=[("csrf_token", csrf_of(alice)), ("key", key),
                                                 (f"label:{key}", "<script>")]) as resp:
        assert resp.status == 400
        assert "at most 64 characters" in await resp.text()
    async with alice.post(url + "/labels", data=[("csrf_token", csrf_of(alice)),
                                                 ("key", "not a key"),
                                                 ("label:not a key", "x")]) as resp:
        assert resp.status == 400
    assert (await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})).field_labels == {
        key: profiles.FieldLabel(label="Dome air", unit="°C")}
    # emptied: the field's own name again
    async with alice.post(url + "/labels", data=[("csrf_token", csrf_of(alice)), ("key", key),
                                                 (f"label:{key}", ""), (f"unit:{key}", "")],
                          allow_redirects=False) as resp:
        assert resp.status == 303
    assert (await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})).field_labels == {}

"""A camera page's highlights and meteor candidates, and the candidates' JPEGs
(/cameras/<id>/meteors/<night>/<candidate>/<part>.jpg): on a node from
capture's store, on a hub from the candidates products keeps; unknown or bad
ids give 4xx JSON; in Chromium at 375 and 1280 px with axe-core."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import async_playwright

from tests.services.web.site_seed import jpeg, seed_products
from tests.services.web.sitepages import Watch, check_page
from tests.services.web.webstack import CAMERA, WebUnderTest, start_web
from tests.support.browser import CHROMIUM_ARGS, require_chromium
from zenith.bus.client import BusClient
from zenith.bus.events import publish_event
from zenith.config import load_settings
from zenith.contracts import capture, frames, ingest, network, products
from zenith.contracts.base import Collection
from zenith.runner import service_context
from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_metadata
from zenith.timefmt import to_iso
from zenith_web import sitecache

pytestmark = [pytest.mark.asyncio(loop_scope="package"), pytest.mark.usefixtures("capture_service")]

HUBCAM = "meteorhub"  # a camera of its own: other site tests' cameras stay as they were


async def seed_meteors(
    metadata_url: str,
    collection: Collection[Any],
    blob_dir: Path,
    camera: str,
    night: str,
    count: int,
    prefix: str,
) -> list[str]:
    """``count`` candidates of ``camera`` in ``night`` with their three parts."""
    blobs = BlobStore(blob_dir)
    meta = await open_metadata(metadata_url)
    ids = []
    try:
        base = datetime.fromisoformat(f"{night}T22:00:00+00:00")
        for n in range(count):
            candidate = f"{prefix}-{n}"
            parts = {}
            for part in capture.METEOR_PARTS:
                key = ingest.meteor_key(camera, night, candidate, part, "jpg")
                blobs.write_bytes(key, jpeg(160, 120, shade=40 + n))
                parts[part] = key
            taken = base + timedelta(minutes=n)
            doc = ingest.MeteorDoc(
                id=capture.meteor_id(camera, night, candidate),
                camera=camera,
                day=night,
                candidate_id=candidate,
                parts=parts,
                candidate={"taken_at": taken.isoformat()},
                received_at=to_iso(taken),
            )
            await meta.put(collection.name, collection.to_doc(doc))
            ids.append(candidate)
    finally:
        await meta.close()
    return ids


async def node_night(bus: BusClient) -> str:
    """The night the node's camera page looks at first (its newest frame's)."""
    found = await bus.request(frames.LATEST, frames.LatestFrames(limit=1), camera=CAMERA)
    return found.frames[0].night if found.frames else datetime.now(UTC).date().isoformat()


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def node_meteors(
    web: WebUnderTest, bus: BusClient, capture_service: Any, blob_dir: Path
) -> tuple[str, list[str]]:
    night = await node_night(bus)
    ids = await seed_meteors(
        capture_service.resolved_metadata_url,
        capture.CAPTURE_METEORS,
        blob_dir,
        CAMERA,
        night,
        3,
        "t-node",
    )
    return night, ids


async def test_node_camera_page_shows_its_meteor_candidates(
    web: WebUnderTest, node_meteors: tuple[str, list[str]]
) -> None:
    night, ids = node_meteors
    client = web.remote()
    async with client.get(f"/cameras/{CAMERA}") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert 'id="camera-meteors"' in text and "Meteor candidates" in text
    for candidate in ids:
        crop = f"/cameras/{CAMERA}/meteors/{night}/{candidate}/crop.jpg"
        assert f'src="{crop}" width="160" height="120" loading="lazy"' in text
        assert f'href="/cameras/{CAMERA}/meteors/{night}/{candidate}/marked.jpg"' in text
    # newest first
    assert text.index(f"/{ids[2]}/crop.jpg") < text.index(f"/{ids[0]}/crop.jpg")
    # a node has no highlights of its own
    assert "No highlights of this camera yet." in text
    async with client.get("/cameras/demo", headers={"Accept-Language": "de"}) as resp:
        assert "Meteor-Kandidaten" in await resp.text()


async def test_node_meteor_images_and_bad_ids(
    web: WebUnderTest, node_meteors: tuple[str, list[str]]
) -> None:
    night, ids = node_meteors
    client = web.remote()
    base = f"/cameras/{CAMERA}/meteors/{night}/{ids[0]}"
    for part in capture.METEOR_PARTS:
        async with client.get(f"{base}/{part}.jpg") as resp:
            assert resp.status == 200
            assert resp.content_type == "image/jpeg"
            body = await resp.read()
            assert body[:2] == b"\xff\xd8"
            etag = resp.headers["ETag"]
            assert "max-age" in resp.headers["Cache-Control"]
            assert "Last-Modified" in resp.headers
    async with client.get(f"{base}/crop.jpg", headers={"If-None-Match": etag}) as resp:
        assert resp.status in (200, 304)  # etag of diff.jpg above, not crop
    async with client.get(f"{base}/diff.jpg", headers={"If-None-Match": etag}) as resp:
        assert resp.status == 304
    cases = {
        f"/cameras/{CAMERA}/meteors/{night}/nope-0/crop.jpg": (404, "meteor_not_found"),
        f"/cameras/{CAMERA}/meteors/2001-01-01/{ids[0]}/crop.jpg": (404, "meteor_not_found"),
        f"{base}/thumb.jpg": (400, "invalid_request"),
        f"{base}/crop.png": (400, "invalid_request"),
        f"/cameras/{CAMERA}/meteors/last-night/{ids[0]}/crop.jpg": (400, "invalid_request"),
        f"/cameras/{CAMERA}/meteors/{night}/{'x' * 65}/crop.jpg": (400, "invalid_request"),
        f"/cameras/{CAMERA}/meteors/{night}/a%20b/crop.jpg": (400, "invalid_request"),
        f"/cameras/NOT_A_CAMERA!/meteors/{night}/{ids[0]}/crop.jpg": (400, "invalid_request"),
        f"/cameras/other/meteors/{night}/{ids[0]}/crop.jpg": (404, None),
    }
    for url, (status, code) in cases.items():
        async with client.get(url) as resp:
            assert resp.status == status, url
            assert resp.content_type == "application/json", url
            body = await resp.json()
            if code is not None:
                assert body["error"]["code"] == code, (url, body)


async def test_openapi_names_the_meteor_route(web: WebUnderTest) -> None:
    async with web.remote().get("/api/openapi.json") as resp:
        doc = await resp.json()
    op = doc["paths"]["/cameras/{camera}/meteors/{night}/{candidate}/{part}"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert names == {"camera", "night", "candidate", "part"}


@pytest.mark.browser
async def test_node_camera_extras_in_chromium(
    web: WebUnderTest, node_meteors: tuple[str, list[str]]
) -> None:
    chromium = require_chromium()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(20000)
            watch = Watch(page, web.remote_url)
            await check_page(page, web.remote_url + f"/cameras/{CAMERA}", "site-camera-meteors")
            images = page.locator("#camera-meteors img")
            assert await images.count() >= 3
            first = images.first
            await first.scroll_into_view_if_needed()
            assert await first.get_attribute("loading") == "lazy"
            assert await first.evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
            width = await page.evaluate(
                "document.querySelector('#camera-meteors').getBoundingClientRect().width"
            )
            assert width <= 1280
            watch.check()
        finally:
            await browser.close()


# --- a hub: the camera's highlights, the candidates its uplink sent -----------------------


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def hubsite(
    nats_url: str,
    remote_host: str,
    auth_service: Any,
    blob_dir: Path,
    bus: BusClient,
    products_service: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[WebUnderTest, str, list[str]]]:
    from zenith_network.main import serve
    from zenith_network.settings import NetworkSettings

    folder = tmp_path_factory.mktemp("network-camera-extras")
    settings = load_settings(
        NetworkSettings,
        env={},
        nats_url=nats_url,
        data_dir=folder,
        metadata_url=f"sqlite:///{folder / 'network.db'}",
    )
    from zenith_products.service import serve as serve_products
    from zenith_products.settings import ProductsSettings

    # a replica of products that serves the uploaded candidates (as on a hub), on the
    # package's products store
    replica = load_settings(
        ProductsSettings,
        env={},
        nats_url=nats_url,
        data_dir=folder,
        blob_dir=blob_dir,
        metadata_url=products_service.resolved_metadata_url,
        products_hub_ingest=True,
        products_retention_interval_s=0,
    )
    async with (
        service_context("network", settings, serve),
        service_context("products", replica, serve_products),
    ):
        await bus.request(
            network.CAMERA_ADD,
            {
                "id": HUBCAM,
                "name": "Meteor Hill",
                "location": {"latitude": 50.0, "longitude": 8.0, "timezone": "Europe/Berlin"},
            },
        )
        for night, kind, category, title in (
            ("2026-08-12", "timelapse", "meteor", "Perseids"),
            ("2026-01-03", "keogram", "aurora", "Glow"),
        ):
            await seed_products(products_service, blob_dir, HUBCAM, [(night, kind)])
            await bus.request(
                network.HIGHLIGHT_ADD,
                {
                    "camera": HUBCAM,
                    "product": products.product_id(HUBCAM, night, kind),
                    "key": products.product_key(HUBCAM, night, kind),
                    "category": category,
                    "title": title,
                },
            )
        today = datetime.now(UTC).date().isoformat()
        ids = await seed_meteors(
            products_service.resolved_metadata_url,
            ingest.METEORS,
            blob_dir,
            HUBCAM,
            today,
            2,
            "t-hub",
        )
        kept_ttl = sitecache.PRODUCTS_TTL_S
        sitecache.PRODUCTS_TTL_S = 600.0  # what the tests see came from the events
        try:
            async with start_web(nats_url, remote_host, blob_dir=blob_dir) as under_test:
                yield under_test, today, ids
        finally:
            sitecache.PRODUCTS_TTL_S = kept_ttl


async def test_a_new_candidate_shows_on_the_kept_camera_page_by_its_upload(
    hubsite: tuple[WebUnderTest, str, list[str]], bus: BusClient, blob_dir: Path
) -> None:
    """The camera page's candidates are kept in web (here far longer than the test);
    a candidate's upload (ingest.upload, which products indexes) makes the next
    pages ask again."""
    web, night, _ = hubsite
    client = web.remote()
    async with client.get(f"/cameras/{HUBCAM}") as resp:
        assert "/t-hub-new/crop.jpg" not in await resp.text()
    blobs = BlobStore(blob_dir)
    parts = {}
    for part in capture.METEOR_PARTS:
        body = jpeg(160, 120, shade=90)
        key = f"staging/{HUBCAM}/t-hub-new-{part}.jpg"
        blobs.write_bytes(key, body)
        parts[part] = ingest.StagedPart(
            name=part,
            key=key,
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            content_type="image/jpeg",
            width=160,
            height=120,
        )
    now = datetime.now(UTC)
    upload = ingest.UploadReceived(
        upload_id=ingest.upload_id(HUBCAM, "meteor", "meteor", parts["crop"].sha256, night),
        camera=HUBCAM,
        kind="meteor",
        asset="meteor",
        dialect="allskykamera",
        received_at=now,
        taken_at=now,
        day=night,
        candidate_id="t-hub-new",
        parts=parts,
    )
    await publish_event(
        bus.nc.jetstream(), ingest.UPLOAD_RECEIVED, upload, camera=HUBCAM, kind="meteor"
    )
    for _ in range(100):
        async with client.get(f"/cameras/{HUBCAM}") as resp:
            text = await resp.text()
        if f"/cameras/{HUBCAM}/meteors/{night}/t-hub-new/crop.jpg" in text:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the uploaded candidate is not on the camera page in 10 s")
    async with client.get(f"/cameras/{HUBCAM}") as resp:  # kept, and still there
        assert "/t-hub-new/crop.jpg" in await resp.text()
    # the camera withdraws it (an upload too): gone from the next pages
    withdrawn = upload.model_copy(
        update={"upload_id": upload.upload_id + "-w", "meta": {ingest.WITHDRAWN: True}}
    )
    await publish_event(
        bus.nc.jetstream(), ingest.UPLOAD_RECEIVED, withdrawn, camera=HUBCAM, kind="meteor"
    )
    for _ in range(100):
        async with client.get(f"/cameras/{HUBCAM}") as resp:
            text = await resp.text()
        if "/t-hub-new/crop.jpg" not in text:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the withdrawn candidate is still on the camera page after 10 s")


async def test_hub_camera_page_highlights_and_meteors(
    hubsite: tuple[WebUnderTest, str, list[str]],
) -> None:
    web, night, ids = hubsite
    client = web.remote()
    async with client.get(f"/cameras/{HUBCAM}") as resp:
        assert resp.status == 200
        text = await resp.text()
    section = text[text.index('id="camera-highlights"') : text.index('id="camera-meteors"')]
    assert section.index("Perseids") < section.index("Glow")  # newest night first
    assert f"/cameras/{HUBCAM}/view/2026-08-12/timelapse" in section
    assert f"/cameras/{HUBCAM}/products/2026-01-03/keogram?thumb=1" in section
    assert 'loading="lazy"' in section and '<time datetime="2026-08-12">' in section
    assert "Aurora" in section and 'href="/highlights"' in section
    assert f'href="/highlights?camera={HUBCAM}"' in section
    async with client.get("/highlights", params={"camera": HUBCAM}) as resp:
        assert resp.status == 200
        text_all = await resp.text()
    assert "Perseids" in text_all and "Glow" in text_all
    assert f'name="camera" value="{HUBCAM}"' in text_all
    async with client.get("/highlights", params={"camera": "quietcam"}) as resp:
        text_none = await resp.text()
    assert "Perseids" not in text_none and "No highlight matches these filters." in text_none
    for candidate in ids:
        assert f"/cameras/{HUBCAM}/meteors/{night}/{candidate}/crop.jpg" in text
    async with client.get(f"/cameras/{HUBCAM}/meteors/{night}/{ids[1]}/marked.jpg") as resp:
        assert resp.status == 200 and resp.content_type == "image/jpeg"
    async with client.get(f"/cameras/{HUBCAM}/meteors/{night}/t-hub-9/marked.jpg") as resp:
        assert resp.status == 404
        assert (await resp.json())["error"]["code"] == "meteor_not_found"
    async with client.get(f"/cameras/unknowncam/meteors/{night}/{ids[0]}/crop.jpg") as resp:
        assert resp.status == 404 and resp.content_type == "application/json"


async def test_hub_camera_without_either(
    hubsite: tuple[WebUnderTest, str, list[str]], bus: BusClient
) -> None:
    web, _, _ = hubsite
    await bus.request(
        network.CAMERA_ADD,
        {
            "id": "quietcam",
            "name": "Quiet",
            "location": {"latitude": 50.0, "longitude": 8.0, "timezone": "Europe/Berlin"},
        },
    )
    async with web.remote().get("/cameras/quietcam") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert "No highlights of this camera yet." in text
    assert "No meteor candidates in the last nights." in text


@pytest.mark.browser
async def test_hub_camera_extras_in_chromium(hubsite: tuple[WebUnderTest, str, list[str]]) -> None:
    web, _, _ = hubsite
    chromium = require_chromium()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(20000)
            watch = Watch(page, web.remote_url)
            await check_page(page, web.remote_url + f"/cameras/{HUBCAM}", "site-camera-highlights")
            assert await page.locator("#camera-highlights img").count() == 2
            assert await page.locator("#camera-meteors img").count() == 2
            await check_page(page, web.remote_url + "/cameras/quietcam", "site-camera-empty")
            watch.check()
        finally:
            await browser.close()

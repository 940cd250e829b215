"""The public pages' cache of the registry and XP (zenith_web.sitecache): a
camera renamed through web shows on the next request, one disabled elsewhere
(its status event) leaves the pages at once, both long before the cache's
time-to-live; an answer asked for while the cache was dropped is not kept;
a frame moves a kept camera's last upload as the registry does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.services.web.admin_stack import Stack, admin_stack, csrf_of, session_of
from tests.services.web.webstack import WebUnderTest
from zenith.bus.client import BusClient
from zenith.contracts import network, xp
from zenith_web import sitecache
from zenith_web.sitecache import SiteCache, changes_network

pytestmark = pytest.mark.asyncio(loop_scope="package")

LONG_TTL_S = 600.0  # far longer than any test: what they see came from the events


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, remote_host: str) -> AsyncIterator[Stack]:
    kept = sitecache.CAMERAS_TTL_S, sitecache.XP_TTL_S
    sitecache.CAMERAS_TTL_S = sitecache.XP_TTL_S = LONG_TTL_S
    try:
        async with admin_stack(tmp_path_factory.mktemp("sitecache"), remote_host) as s:
            for camera, name in (("ridge", "Ridge"), ("vale", "Vale")):
                await s.bus.request(
                    network.CAMERA_ADD,
                    {
                        "id": camera,
                        "name": name,
                        "location": {
                            "latitude": 47.1,
                            "longitude": 8.6,
                            "timezone": "Europe/Zurich",
                            "precision": "exact",
                        },
                    },
                )
            yield s
    finally:
        sitecache.CAMERAS_TTL_S, sitecache.XP_TTL_S = kept


async def page(stack: Stack, path: str) -> tuple[int, str]:
    async with stack.web.remote().get(path) as resp:
        return resp.status, await resp.text()


async def test_a_rename_through_web_shows_on_the_next_request(stack: Stack) -> None:
    status, home = await page(stack, "/")
    assert status == 200 and ">Ridge</a>" in home and ">Vale</a>" in home
    _, camera = await page(stack, "/cameras/ridge")
    assert "Ridge" in camera
    admin = await session_of(stack.web, stack.admin)
    async with admin.post(
        "/admin/cameras/ridge/edit",
        allow_redirects=False,
        data={"csrf_token": csrf_of(admin), "name": "Ridge Top", "site": "Alps"},
    ) as resp:
        assert resp.status == 303
    _, home = await page(stack, "/")
    assert ">Ridge Top</a>" in home and "Alps" in home and ">Ridge</a>" not in home
    _, camera = await page(stack, "/cameras/ridge")
    assert "Ridge Top" in camera
    async with stack.web.remote().get("/map/cameras.json") as resp:
        names = {c["id"]: c["name"] for c in (await resp.json())["cameras"]}
    assert names["ridge"] == "Ridge Top"


async def test_a_camera_disabled_elsewhere_leaves_the_pages_with_its_status_event(
    stack: Stack,
) -> None:
    _, home = await page(stack, "/")
    assert ">Vale</a>" in home
    assert (await page(stack, "/cameras/vale"))[0] == 200
    # as the network CLI would: not through web, so only the status event tells it
    await stack.bus.request(network.CAMERA_EDIT, {"camera": "vale", "enabled": False})
    for _ in range(40):
        _, home = await page(stack, "/")
        if ">Vale</a>" not in home:
            break
        await asyncio.sleep(0.05)
    assert ">Vale</a>" not in home and "0 of 1 online" in home
    assert (await page(stack, "/cameras/vale"))[0] == 404
    await stack.bus.request(network.CAMERA_EDIT, {"camera": "vale", "enabled": True})
    for _ in range(40):
        _, home = await page(stack, "/")
        if ">Vale</a>" in home:
            break
        await asyncio.sleep(0.05)
    assert ">Vale</a>" in home and (await page(stack, "/cameras/vale"))[0] == 200


def camera(name: str, last: datetime | None = None) -> network.Camera:
    now = datetime.now(UTC)
    return network.Camera(
        id="ridge",
        code="ZEN001",
        name=name,
        owners=[],
        location=network.Location(latitude=1, longitude=2, timezone="UTC"),
        created_at=now,
        updated_at=now,
        last_upload_at=last,
    )


async def test_an_answer_asked_for_across_a_drop_is_not_kept() -> None:
    cache = SiteCache(cameras_ttl_s=60)
    asked = []

    async def stale() -> list[network.Camera]:
        asked.append("stale")
        cache.forget_cameras()  # an event arrives while the answer is on its way
        return [camera("Old")]

    async def fresh() -> list[network.Camera]:
        asked.append("fresh")
        return [camera("New")]

    assert [c.name for c in await cache.cameras(stale)] == ["Old"]  # this page shows it
    assert cache.camera("ridge") is None  # but it is not kept
    assert [c.name for c in await cache.cameras(fresh)] == ["New"]
    assert [c.name for c in await cache.cameras(stale)] == ["New"]  # kept now
    assert asked == ["stale", "fresh"]


async def test_the_time_to_live_is_the_safety_net() -> None:
    now = [100.0]
    cache = SiteCache(cameras_ttl_s=5, xp_ttl_s=15, clock=lambda: now[0])
    names = iter(["First", "Second"])

    async def fetch() -> list[network.Camera]:
        return [camera(next(names))]

    assert (await cache.cameras(fetch))[0].name == "First"
    now[0] += 4.9
    assert (await cache.cameras(fetch))[0].name == "First"
    now[0] += 0.2
    assert (await cache.cameras(fetch))[0].name == "Second"
    scores = iter([3, 7])

    async def fetch_xp(cameras: list[str]) -> list[xp.CameraXp]:
        points = next(scores)
        return [
            xp.CameraXp(
                camera=c,
                xp=points,
                level=1,
                level_name="First light",
                next_level_xp=None,
                parts=[],
                badges=[],
            )
            for c in cameras
        ]

    assert (await cache.xps(["ridge", "gone"], fetch_xp))["ridge"].xp == 3
    now[0] += 14
    assert (await cache.xps(["ridge"], fetch_xp))["ridge"].xp == 3
    now[0] += 2
    assert (await cache.xps(["ridge"], fetch_xp))["ridge"].xp == 7


async def test_a_frame_moves_the_last_upload_as_the_registry_does() -> None:
    cache = SiteCache(cameras_ttl_s=60)
    before = datetime.now(UTC) - timedelta(minutes=5)

    async def fetch() -> list[network.Camera]:
        return [camera("Ridge", before)]

    await cache.cameras(fetch)
    cache.heard_frame("ridge", before - timedelta(minutes=1))  # older: no change
    assert cache.camera("ridge").last_upload_at == before  # type: ignore[union-attr]
    newer = before + timedelta(minutes=2)
    cache.heard_frame("ridge", newer)
    assert cache.camera("ridge").last_upload_at == newer  # type: ignore[union-attr]
    cache.heard_frame("ridge", datetime.now(UTC) + timedelta(days=1))  # never past now
    kept = cache.camera("ridge").last_upload_at  # type: ignore[union-attr]
    assert kept is not None and kept <= datetime.now(UTC)
    cache.heard_frame("unknown", newer)  # not a camera of the list: nothing


async def test_which_calls_drop_the_cache() -> None:
    from zenith.contracts import frames, joins, profiles

    assert changes_network(network.CAMERA_EDIT) and changes_network(network.OWNER_ADD)
    assert changes_network(xp.BADGE_GRANT) and changes_network(joins.JOIN_APPROVE)
    assert changes_network(profiles.PROFILE_SAVE)
    assert not changes_network(network.CAMERA_LIST) and not changes_network(xp.XP_LIST)
    assert not changes_network(frames.LATEST)


async def test_the_map_data_answers_a_conditional_request_with_304(stack: Stack) -> None:
    client = stack.web.remote()
    async with client.get("/map/cameras.json") as resp:
        assert resp.status == 200
        etag = resp.headers["ETag"]
        assert resp.headers["Cache-Control"] == "no-cache"
    async with client.get("/map/cameras.json", headers={"If-None-Match": etag}) as resp:
        assert resp.status == 304 and await resp.read() == b""
    async with client.get("/map/cameras.json", headers={"If-None-Match": '"other"'}) as resp:
        assert resp.status == 200
    admin = await session_of(stack.web, stack.admin)
    async with admin.post(
        "/admin/cameras/ridge/edit",
        allow_redirects=False,
        data={"csrf_token": csrf_of(admin), "name": "Ridge Again"},
    ) as resp:
        assert resp.status == 303
    async with client.get("/map/cameras.json", headers={"If-None-Match": etag}) as resp:
        assert resp.status == 200 and resp.headers["ETag"] != etag  # it changed
        assert "Ridge Again" in await resp.text()


async def test_a_kept_calendar_month_shows_a_new_product_and_the_language(
    web: WebUnderTest, products_service: Any, blob_dir: Path, bus: BusClient
) -> None:
    """A month's products and its rendered grid are kept; a product added to it
    (announced by products' publisher), or another language, is another grid."""
    from tests.services.web.site_seed import jpeg, unindex_products

    camera, month = "demo", {"from": "2026-03", "to": "2026-03"}
    for kind in ("keogram", "startrails"):
        await unindex_products(products_service, camera, kind)
    await seed_product(products_service, blob_dir, camera, "2026-03-02", bus, jpeg)
    client = web.remote()
    path = f"/cameras/{camera}/calendar/keograms"
    text = await wait_for_text(client, path, month, f"/cameras/{camera}/view/2026-03-02/keogram")
    async with client.get(path, params=month) as resp:  # the kept grid
        assert f"/cameras/{camera}/view/2026-03-02/keogram" in await resp.text()
    assert f"/cameras/{camera}/view/2026-03-09/keogram" not in text
    await seed_product(products_service, blob_dir, camera, "2026-03-09", bus, jpeg)
    await seed_product(products_service, blob_dir, camera, "2026-03-02", bus, jpeg, "startrails")
    text = await wait_for_text(client, path, month, f"/cameras/{camera}/view/2026-03-09/keogram")
    text = await wait_for_text(client, path, month, f"/cameras/{camera}/view/2026-03-02/startrails")
    async with client.get(path, params=month, cookies={"lang": "de"}) as resp:
        german = await resp.text()
    assert "März 2026" in german and "March 2026" in text
    for kind in ("keogram", "startrails"):
        await unindex_products(products_service, camera, kind)


async def wait_for_text(client: Any, path: str, params: dict[str, str], wanted: str) -> str:
    """The page once it shows ``wanted`` (an event takes a moment), at most 2 s."""
    for _ in range(40):
        async with client.get(path, params=params) as resp:
            text: str = await resp.text()
        if wanted in text:
            return text
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never showed {wanted}")


async def test_a_new_product_shows_on_the_camera_page_by_its_event(
    web: WebUnderTest, products_service: Any, blob_dir: Path, bus: BusClient
) -> None:
    """The camera's newest products are kept; products' own publisher announces a
    new one (product.ready) and the next page shows it."""
    from tests.services.web.site_seed import jpeg, unindex_products

    camera = "demo"
    await unindex_products(products_service, camera, "keogram")
    await seed_product(products_service, blob_dir, camera, "2031-01-01", bus, jpeg)
    client = web.remote()
    for _ in range(40):
        async with client.get(f"/cameras/{camera}") as resp:
            text = await resp.text()
        if "/products/2031-01-01/keogram" in text:
            break
        await asyncio.sleep(0.05)
    assert f"/cameras/{camera}/products/2031-01-01/keogram" in text
    async with client.get(f"/cameras/{camera}") as resp:  # from the cache
        assert "/products/2031-01-01/keogram" in await resp.text()
    await seed_product(products_service, blob_dir, camera, "2031-01-02", bus, jpeg)
    for _ in range(40):
        async with client.get(f"/cameras/{camera}") as resp:
            text = await resp.text()
        if "/products/2031-01-02/keogram" in text:
            break
        await asyncio.sleep(0.05)
    assert f"/cameras/{camera}/products/2031-01-02/keogram" in text
    await unindex_products(products_service, camera, "keogram")


async def seed_product(
    products_service: Any,
    blob_dir: Path,
    camera: str,
    night: str,
    bus: BusClient,
    jpeg: Any,
    kind: str = "keogram",
) -> None:
    """A product indexed and announced (product.ready) by the products service's
    publisher, as the service does."""
    from zenith.contracts.products import product_key, thumb_key
    from zenith.storage.blob import BlobStore
    from zenith.storage.factory import open_metadata
    from zenith_products.artifact import Artifact
    from zenith_products.publisher import Publisher

    blobs = BlobStore(blob_dir)
    key, thumb = product_key(camera, night, kind), thumb_key(camera, night, kind)
    blobs.write_bytes(key, jpeg(480, 120))
    blobs.write_bytes(thumb, jpeg(240, 60))
    art = Artifact(kind=kind, night=night, key=key, thumb_key=thumb, frames=10, final=True)
    meta = await open_metadata(products_service.resolved_metadata_url)
    try:
        await Publisher(meta, bus.nc.jetstream()).publish(camera, [art])
    finally:
        await meta.close()


async def test_meteor_candidates_are_not_kept_while_an_upload_settles() -> None:
    now = [0.0]
    cache = SiteCache(products_ttl_s=600, clock=lambda: now[0])
    asked = [0]

    async def fetch() -> list[Any]:
        asked[0] += 1
        return []

    await cache.meteors("ridge", "2031-01-01", fetch)
    await cache.meteors("ridge", "2031-01-01", fetch)
    assert asked[0] == 1  # kept
    cache.heard_meteor("ridge")
    now[0] = 1.0  # products may not have indexed it yet: asked, not kept
    await cache.meteors("ridge", "2031-01-01", fetch)
    await cache.meteors("ridge", "2031-01-01", fetch)
    assert asked[0] == 3
    now[0] = 2.5  # settled: kept again
    await cache.meteors("ridge", "2031-01-01", fetch)
    await cache.meteors("ridge", "2031-01-01", fetch)
    assert asked[0] == 4
    cache.heard_meteor(None)  # whose not known: every camera's asked again
    now[0] = 10.0
    await cache.meteors("ridge", "2031-01-01", fetch)
    assert asked[0] == 5

"""The owner area's access rules: login leads an owner to their profile, the
session id changes on login, every owner route answers 404 for another
owner's camera (nothing changed), every form needs its CSRF token; and the
details page with the data size the owning services count."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from yarl import URL

from tests.services.web.ownerstack import (
    OTHER,
    Hub,
    base_fields,
    cookie,
    csrf_of,
    profile_form,
    session_of,
    start_hub,
)
from tests.services.web.site_seed import seed_products
from tests.services.web.test_web_latest import wait_for_frame
from tests.services.web.webstack import CAMERA
from zenith.bus.client import BusClient
from zenith.contracts import frames, network, products, profiles
from zenith.errors import BadRequest
from zenith_web.session import CSRF_COOKIE, REFRESH_COOKIE, SESSION_COOKIE

pytestmark = [pytest.mark.asyncio(loop_scope="package"),
              pytest.mark.usefixtures("capture_service")]


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def hub(nats_url: str, remote_host: str, auth_service: Any, blob_dir: Path,
              bus: BusClient, products_service: Any,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    async with start_hub(nats_url, remote_host, blob_dir, bus,
                         tmp_path_factory.mktemp("network")) as under_test:
        yield under_test


async def test_login_leads_an_owner_to_the_profile_with_a_new_session_id(hub: Hub) -> None:
    client = hub.web.remote()
    # an attacker planted session cookies in the victim's browser before the login
    planted = {SESSION_COOKIE: "planted-session", REFRESH_COOKIE: "planted-refresh",
               CSRF_COOKIE: "planted-csrf"}
    client.cookie_jar.update_cookies(planted, URL(hub.web.remote_url + "/"))
    assert cookie(client, SESSION_COOKIE) == "planted-session"
    async with client.post("/login?next=/", data={"username": hub.alice.username,
                                                  "password": hub.alice.password},
                           allow_redirects=False) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == "/owner"
    for name, value in planted.items():
        assert cookie(client, name) not in (None, value), name
    first = cookie(client, REFRESH_COOKIE)
    async with client.get("/owner") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert "Demo Ridge" in text and "OWN101" in text
    assert "Bob&#39;s Roof" not in text and "OWN102" not in text
    # a second login is a second session, with its own id
    again = await session_of(hub.web, hub.alice)
    assert cookie(again, REFRESH_COOKIE) != first
    # a login with an explicit next goes there; a viewer is not sent to /owner
    async with client.post("/login?next=/map", data={"username": hub.alice.username,
                                                      "password": hub.alice.password},
                           allow_redirects=False) as resp:
        assert resp.headers["Location"] == "/map"
    async with hub.web.remote().post("/login?next=/", data={
            "username": hub.admin.username, "password": hub.admin.password},
            allow_redirects=False) as resp:
        assert resp.headers["Location"] == "/"


async def test_the_owner_area_needs_a_login(hub: Hub) -> None:
    client = hub.web.remote()
    async with client.get("/owner", allow_redirects=False) as resp:
        assert resp.status == 302
        assert resp.headers["Location"].startswith("/login?next=/owner")
    async with client.get(f"/owner/cameras/{CAMERA}/profile", allow_redirects=False) as resp:
        assert resp.status == 302


GETS = ("", "/files", "/profile", "/profile/preview", "/data?month=2026-01",
        "/profile/images/abc")


async def test_another_owners_camera_is_not_there_and_nothing_changes(
        hub: Hub, bus: BusClient) -> None:
    before_cam = await bus.request(network.CAMERA_GET, {"camera": OTHER})
    before_profile = await bus.request(profiles.PROFILE_GET, {"camera": OTHER})
    alice = await session_of(hub.web, hub.alice)
    csrf = csrf_of(alice)
    for tail in GETS:
        async with alice.get(f"/owner/cameras/{OTHER}{tail}",
                             headers={"Accept": "application/json"}) as resp:
            assert resp.status == 404, (tail, await resp.text())
            assert (await resp.json())["error"]["code"] == "camera_not_found"
    fields = base_fields(name="Stolen", enabled="1", about="pwned")
    async with alice.post(f"/owner/cameras/{OTHER}/profile",
                          data=profile_form(csrf, fields)) as resp:
        assert resp.status == 404
    for action in ("download", "delete"):
        async with alice.post(f"/owner/cameras/{OTHER}/data/{action}", data={
                "csrf_token": csrf, "item": "n:2026-01-01", "confirm": "1"}) as resp:
            assert resp.status == 404, action
    # an unknown camera looks the same as another owner's
    async with alice.get("/owner/cameras/no-such-cam",
                         headers={"Accept": "application/json"}) as resp:
        assert resp.status == 404
    # a viewer (no owner permission) is refused outright, even for its name in owners
    assert await bus.request(network.CAMERA_GET, {"camera": OTHER}) == before_cam
    assert await bus.request(profiles.PROFILE_GET, {"camera": OTHER}) == before_profile
    # bob still sees and edits his own camera
    bob = await session_of(hub.web, hub.bob)
    async with bob.get(f"/owner/cameras/{OTHER}") as resp:
        assert resp.status == 200


async def test_a_viewer_has_no_owner_area(hub: Hub, bus: BusClient) -> None:
    from tests.services.web.webstack import add_user

    viewer = await add_user(bus, role="viewer", prefix="viewer")
    await bus.request(network.OWNER_ADD, {"camera": OTHER, "username": viewer.username})
    try:
        client = await session_of(hub.web, viewer)
        async with client.get(f"/owner/cameras/{OTHER}",
                              headers={"Accept": "application/json"}) as resp:
            assert resp.status == 403
    finally:
        await bus.request(network.OWNER_REMOVE, {"camera": OTHER,
                                                 "username": viewer.username})


async def test_every_form_needs_the_csrf_token(hub: Hub, bus: BusClient) -> None:
    before = await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})
    alice = await session_of(hub.web, hub.alice)
    fields = base_fields(name="Changed", enabled="1")
    for csrf in (None, "wrong-token"):
        async with alice.post(f"/owner/cameras/{CAMERA}/profile",
                              data=profile_form(csrf, fields)) as resp:
            assert resp.status == 403, await resp.text()
            assert (await resp.json())["error"]["code"] == "csrf"
        body = {"current": hub.alice.password, "new": "a long new passphrase here",
                "confirm": "a long new passphrase here"}
        if csrf:
            body["csrf_token"] = csrf
        async with alice.post("/owner/password", data=body) as resp:
            assert resp.status == 403
        for action in ("download", "delete"):
            data = {"item": "n:2026-01-01", "confirm": "1"}
            if csrf:
                data["csrf_token"] = csrf
            async with alice.post(f"/owner/cameras/{CAMERA}/data/{action}", data=data) as resp:
                assert resp.status == 403, action
    # the CSRF field must come first in a multipart form (before any file is read)
    form = profile_form(None, fields)
    form.add_field("csrf_token", csrf_of(alice))
    async with alice.post(f"/owner/cameras/{CAMERA}/profile", data=form) as resp:
        assert resp.status == 403
    assert await bus.request(profiles.PROFILE_GET, {"camera": CAMERA}) == before
    cam = await bus.request(network.CAMERA_GET, {"camera": CAMERA})
    assert cam.name == "Demo Ridge"
    # from another site: refused by origin even with the token
    async with alice.post("/owner/password", data={"csrf_token": csrf_of(alice)},
                          headers={"Origin": "https://evil.example"}) as resp:
        assert resp.status == 403


async def test_details_and_data_size_per_product_type(
        hub: Hub, bus: BusClient, products_service: Any, blob_dir: Path) -> None:
    await wait_for_frame(bus)
    await seed_products(products_service, blob_dir, CAMERA,
                        [("2026-01-05", "keogram"), ("2026-01-05", "timelapse"),
                         ("2026-01-06", "startrails"), ("2026-01-06", "mini-timelapse")])
    nights = await bus.request(frames.NIGHTS, frames.NightsQuery(limit=1000), camera=CAMERA)
    listed = await bus.request(products.LIST, products.ProductQuery(limit=2000), camera=CAMERA)
    alice = await session_of(hub.web, hub.alice)
    async with alice.get(f"/owner/cameras/{CAMERA}") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert "OWN101" in text and "47.12346" in text and "Ridge" in text
    assert f'href="/cameras/{CAMERA}"' in text and f'href="/cameras/{CAMERA}/sensors"' in text
    image_files = sum(n.frames for n in nights.nights)
    assert image_files >= 1
    row = text.split('data-group="images"')[1].split("</tr>")[0]
    assert f"<td>{image_files}</td>" in row or image_files < sum(
        n.frames for n in (await bus.request(frames.NIGHTS, frames.NightsQuery(),
                                             camera=CAMERA)).nights)
    videos = [p for p in listed.products if "timelapse" in p.kind]
    row = text.split('data-group="videos"')[1].split("</tr>")[0]
    assert f"<td>{len(videos)}</td>" in row
    total = text.split('data-group="total"')[1].split("</tr>")[0]
    assert "MB" in total


async def test_data_size_counts_uploaded_meteor_candidates(
        hub: Hub, bus: BusClient, products_service: Any, blob_dir: Path) -> None:
    """Candidates a camera uploaded (products' meteor_candidates) per day, with
    the bytes of their parts; another camera's are not counted."""
    from zenith.contracts import ingest
    from zenith.storage.blob import BlobStore
    from zenith.storage.factory import open_metadata

    blobs = BlobStore(blob_dir)
    meta = await open_metadata(products_service.resolved_metadata_url)
    try:
        for camera, day, cand in [(CAMERA, "2026-01-05", "m1"), (CAMERA, "2026-01-05", "m2"),
                                  (CAMERA, "2026-01-07", "m3"), ("other-cam", "2026-01-05",
                                                                 "m4")]:
            key = ingest.meteor_key(camera, day, cand, "crop", "jpg")
            blobs.write_bytes(key, b"x" * 1000)
            doc = ingest.MeteorDoc(id=f"{camera}:{day}:{cand}", camera=camera, day=day,
                                   candidate_id=cand, parts={"crop": key},
                                   received_at="2026-01-06T00:00:00Z")
            await meta.put(ingest.METEORS.name, ingest.METEORS.to_doc(doc))
    finally:
        await meta.close()
    sizes = await bus.request(products.METEOR_SIZES, products.MeteorSizesQuery(camera=CAMERA))
    assert [(d.day, d.candidates, d.bytes) for d in sizes.days] == [
        ("2026-01-05", 2, 2000), ("2026-01-07", 1, 1000)]
    alice = await session_of(hub.web, hub.alice)
    async with alice.get(f"/owner/cameras/{CAMERA}") as resp:
        text = await resp.text()
    row = text.split('data-group="meteors"')[1].split("</tr>")[0]
    assert "<td>3</td>" in row and "Meteors" in row
    with pytest.raises(BadRequest):
        await bus.request(products.METEOR_SIZES, {"camera": "../x"})


async def test_files_and_paths_lists_the_latest_urls_with_snippets(hub: Hub) -> None:
    alice = await session_of(hub.web, hub.alice)
    async with alice.get(f"/owner/cameras/{CAMERA}/files") as resp:
        assert resp.status == 200
        text = await resp.text()
    base = hub.web.remote_url
    for file in ("image.jpg", "keogram.jpg", "startrails.jpg", "timelapse.mp4"):
        assert f"{base}/cameras/{CAMERA}/latest/{file}" in text
    assert "&lt;img src=&#34;" in text and "&lt;video src=&#34;" in text
    assert 'data-copy="url-1"' in text


async def test_the_owner_area_speaks_german(hub: Hub) -> None:
    alice = await session_of(hub.web, hub.alice)
    async with alice.get(f"/owner/cameras/{CAMERA}", headers={
            "Accept-Language": "de-DE,de;q=0.9"}) as resp:
        text = await resp.text()
    assert "Meine Kameras" in text and "Datenmenge" in text and 'lang="de"' in text

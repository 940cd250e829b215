"""The profile editor (Steckbrief) and the public camera profile: nothing
changes until Save, a clear "saved", images cleaned (EXIF and GPS gone,
resized) and hostile uploads refused, http(s) links only with
rel="nofollow noopener", script in every field rendered as text."""

from __future__ import annotations

import io
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PIL import Image

from tests.services.web.ownerstack import (
    Hub,
    base_fields,
    csrf_of,
    profile_form,
    session_of,
    start_hub,
)
from tests.services.web.webstack import CAMERA
from zenith.bus.client import BusClient
from zenith.contracts import network, profiles

pytestmark = [pytest.mark.asyncio(loop_scope="package")]

XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def hub(nats_url: str, remote_host: str, auth_service: Any, blob_dir: Path,
              bus: BusClient, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    async with start_hub(nats_url, remote_host, blob_dir, bus,
                         tmp_path_factory.mktemp("network")) as under_test:
        yield under_test


def photo(width: int = 2400, height: int = 1600) -> bytes:
    """A JPEG with EXIF: a camera make and a GPS position."""
    image = Image.new("RGB", (width, height), (20, 30, 60))
    exif = Image.Exif()
    exif[0x010F] = "SecretMake"
    exif[0x8825] = {1: "N", 2: (47.0, 7.0, 30.0), 3: "E", 4: (8.0, 39.0, 15.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_bomb(side: int = 30000) -> bytes:
    """A small PNG that says it is ``side`` x ``side`` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    header = side.to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    body = zlib.compress(b"\x00" * (1 << 20), 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body)
            + chunk(b"IEND", b""))


async def save(client: Any, fields: dict[str, Any],
               files: list[tuple[str, bytes, str]] | None = None) -> tuple[int, str, str]:
    async with client.post(f"/owner/cameras/{CAMERA}/profile",
                           data=profile_form(csrf_of(client), fields, files or []),
                           allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location", ""), await resp.text()


async def test_save_changes_nothing_until_save_then_says_saved(hub: Hub, bus: BusClient) -> None:
    alice = await session_of(hub.web, hub.alice)
    async with alice.get(f"/owner/cameras/{CAMERA}/profile") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert 'name="csrf_token"' in text and 'enctype="multipart/form-data"' in text
    assert text.index('name="csrf_token"') < text.index('name="enabled"')
    async with hub.web.remote().get(f"/cameras/{CAMERA}/profile") as resp:
        assert resp.status == 404  # not enabled yet
    fields = base_fields(
        enabled="1", name="Demo Ridge Observatory", site="Upper Ridge", precision="10km",
        about="Dark site.\nBortle 3.", setup="ZWO ASI224MC\nFisheye 1.55 mm\nRaspberry Pi 5",
        other="Visits welcome", nicknames="ridge, old faithful", discord="1",
        link_website="https://ridge.example.org", link_github="https://github.com/example",
        link_mastodon="https://mastodon.example/@ridge")
    status, location, _ = await save(alice, fields, [("roof.jpg", photo(), "image/jpeg")])
    assert status == 303 and location.endswith("?saved=1")
    async with alice.get(location) as resp:
        text = await resp.text()
    assert 'id="saved"' in text and "Saved." in text
    cam = await bus.request(network.CAMERA_GET, {"camera": CAMERA})
    assert cam.name == "Demo Ridge Observatory" and cam.site == "Upper Ridge"
    assert cam.location.precision == "10km" and cam.location.elevation == 800
    profile = await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})
    assert profile.enabled and profile.setup == ["ZWO ASI224MC", "Fisheye 1.55 mm",
                                                 "Raspberry Pi 5"]
    assert profile.nicknames == ["ridge", "old faithful"] and profile.discord
    assert not profile.signal and len(profile.images) == 1
    image = profile.images[0]
    assert image.name == "roof.jpg" and max(image.width, image.height) == 1600
    # the public page shows it, links with nofollow noopener, the position rounded
    public = hub.web.remote()
    async with public.get(f"/cameras/{CAMERA}/profile") as resp:
        assert resp.status == 200
        page = await resp.text()
    assert "Demo Ridge Observatory" in page and "Bortle 3." in page
    assert '<a href="https://ridge.example.org" rel="nofollow noopener">' in page
    assert "47.123456" not in page and "Discord member" in page
    async with public.get(f"/cameras/{CAMERA}") as resp:  # the camera page links to it
        assert f'href="/cameras/{CAMERA}/profile" id="profile-link"' in await resp.text()
    async with public.get(f"/cameras/{CAMERA}/profile/images/{image.id}") as resp:
        assert resp.status == 200 and resp.content_type == "image/jpeg"
        data = await resp.read()
    assert b"Exif" not in data and b"SecretMake" not in data
    with Image.open(io.BytesIO(data)) as shown:
        assert shown.size == (1600, 1067) and not shown.getexif()
    # keeping the image and adding none keeps it; unticking it deletes it
    status, _, _ = await save(alice, {**fields, "keep_image": image.id})
    assert status == 303
    assert [i.id for i in (await bus.request(profiles.PROFILE_GET,
                                             {"camera": CAMERA})).images] == [image.id]
    status, _, _ = await save(alice, {k: v for k, v in fields.items() if k != "enabled"})
    assert status == 303
    profile = await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})
    assert not profile.enabled and profile.images == []
    async with public.get(f"/cameras/{CAMERA}/profile") as resp:
        assert resp.status == 404
    async with public.get(f"/cameras/{CAMERA}") as resp:
        assert 'id="profile-link"' not in await resp.text()
    async with public.get(f"/cameras/{CAMERA}/profile/images/{image.id}") as resp:
        assert resp.status == 404
    # the owner's preview shows it disabled too
    async with alice.get(f"/owner/cameras/{CAMERA}/profile/preview") as resp:
        assert resp.status == 200
        assert "once you enable the profile" in await resp.text()


@pytest.mark.parametrize(("name", "data", "why"), [
    ("notes.jpg", b"just some text, not an image at all", "not a JPEG"),
    ("bomb.png", png_bomb(), "too large"),
    ("poly.jpg", photo(64, 64) + b"PK\x03\x04" + b"\x00" * 64, "besides a picture"),
    ("html.jpg", photo(64, 64)[:200] + b"<script>alert(1)</script>" + photo(64, 64)[200:],
     "besides a picture"),
    ("broken.jpg", photo(64, 64)[:300], "could not be read"),
    ("anim.gif", b"GIF89a" + b"\x00" * 64, "not a JPEG"),
])
async def test_hostile_uploads_are_refused_and_nothing_changes(
        hub: Hub, bus: BusClient, name: str, data: bytes, why: str) -> None:
    alice = await session_of(hub.web, hub.alice)
    before = await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})
    cam_before = await bus.request(network.CAMERA_GET, {"camera": CAMERA})
    status, _, text = await save(alice, base_fields(name="Renamed", about="new"),
                                 [(name, data, "image/jpeg")])
    assert status == 400
    assert "Nothing was saved" in text and why in text
    assert await bus.request(profiles.PROFILE_GET, {"camera": CAMERA}) == before
    cam = await bus.request(network.CAMERA_GET, {"camera": CAMERA})
    assert cam.name == cam_before.name


async def test_only_http_links_and_bad_fields_change_nothing(hub: Hub, bus: BusClient) -> None:
    alice = await session_of(hub.web, hub.alice)
    before = await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})
    for changes in ({"link_website": "javascript:alert(1)"},
                    {"link_github": "data:text/html,<script>alert(1)</script>"},
                    {"link_astrobin": "ftp://example.org/x"},
                    {"latitude": "91"}, {"timezone": "Mars/Olympus"},
                    {"precision": "street"}, {"name": ""},
                    {"about": "x" * 4001}):
        status, _, text = await save(alice, base_fields(**{"about": "changed", **changes}))
        assert status == 400, changes
        assert "Nothing was saved" in text
    assert await bus.request(profiles.PROFILE_GET, {"camera": CAMERA}) == before


async def test_script_in_every_field_and_file_name_is_shown_as_text(
        hub: Hub, bus: BusClient) -> None:
    alice = await session_of(hub.web, hub.alice)
    links = {f"link_{k}": f"https://example.org/{XSS}" for k in profiles.LINK_KINDS}
    fields = base_fields(enabled="1", site="Ridge", about=XSS, setup=f"{XSS}\nsecond",
                         other=XSS, nicknames=f"{XSS[:60]}, b", **links)
    status, _, text = await save(alice, fields, [(f"{XSS}.jpg", photo(80, 60),
                                                  "image/jpeg")])
    assert status == 400  # a space in a link: refused, shown escaped in the form again
    assert "<script>alert(1)" not in text and "&lt;script&gt;" in text
    links = {f"link_{k}": "https://example.org/%22%3E%3Cscript%3E" for k in profiles.LINK_KINDS}
    fields = {**fields, **links}
    status, _, _ = await save(alice, fields, [(f"{XSS}.jpg", photo(80, 60), "image/jpeg")])
    assert status == 303
    # a name with markup is refused, and the refusal shows it as text
    status, _, text = await save(alice, {**fields, "name": XSS[:60]})
    assert status == 400 and "<script>alert(1)" not in text
    for url in (f"/cameras/{CAMERA}/profile", f"/owner/cameras/{CAMERA}/profile",
                f"/owner/cameras/{CAMERA}/profile/preview"):
        client = alice if url.startswith("/owner") else hub.web.remote()
        async with client.get(url) as resp:
            assert resp.status == 200
            page = await resp.text()
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
    profile = await bus.request(profiles.PROFILE_GET, {"camera": CAMERA})
    # the name is kept as typed, without the folders a "/" would name
    assert profile.about == XSS
    assert profile.images[0].name == "script><img src=x onerror=alert(2)>.jpg"

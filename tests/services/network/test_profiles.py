"""Camera profiles on the bus (network's profiles.get/save/image-put): a save
changes registry and profile together, drops the images it no longer lists;
every bad input is a clear 4xx error reply that changes nothing."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from tests.services.network.conftest import camera_body
from zenith.bus.client import BusClient
from zenith.contracts import network as n
from zenith.contracts import profiles as p
from zenith.errors import BadRequest, NotFound
from zenith.storage.blob import BlobStore


def jpeg() -> str:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


def save_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "camera": "alpha", "name": "Alpha Hill", "site": "Hill",
        "location": {"latitude": 52.37, "longitude": 4.89, "timezone": "Europe/Amsterdam",
                     "precision": "10km"},
        "enabled": True, "about": "<b>plain</b> text", "setup": ["IMX477"],
        "links": {"website": "https://example.org"}, "nicknames": ["al"]}
    body.update(changes)
    return body


async def test_save_get_and_images(network: Any, bus: BusClient) -> None:
    await bus.request(n.CAMERA_ADD, camera_body())
    empty = await bus.request(p.PROFILE_GET, {"camera": "alpha"})
    assert not empty.enabled and empty.images == [] and empty.about == ""
    blobs = BlobStore(network.settings.resolved_blob_dir)
    image = await bus.request(p.IMAGE_PUT, {"camera": "alpha", "name": "a.jpg", "width": 40,
                                            "height": 30, "data": jpeg()})
    assert blobs.exists(p.image_key("alpha", image.id))
    saved = await bus.request(p.PROFILE_SAVE, save_body(images=[image.model_dump()]))
    assert saved.enabled and saved.about == "<b>plain</b> text" and saved.images == [image]
    assert await bus.request(p.PROFILE_GET, {"camera": "alpha"}) == saved
    cam = await bus.request(n.CAMERA_GET, {"camera": "alpha"})
    assert cam.name == "Alpha Hill" and cam.location.precision == "10km"
    # a save without the image deletes its file
    await bus.request(p.PROFILE_SAVE, save_body(images=[]))
    assert not blobs.exists(p.image_key("alpha", image.id))


@pytest.mark.parametrize(("endpoint", "body", "error"), [
    (p.PROFILE_GET, {"camera": "nowhere"}, NotFound),
    (p.PROFILE_SAVE, save_body(camera="nowhere"), NotFound),
    (p.PROFILE_SAVE, save_body(links={"website": "javascript:alert(1)"}), BadRequest),
    (p.PROFILE_SAVE, save_body(name=""), BadRequest),
    (p.PROFILE_SAVE, save_body(setup=["x"] * 31), BadRequest),
    (p.PROFILE_SAVE, save_body(images=[{"id": "missing1", "width": 1, "height": 1,
                                        "size": 1}]), NotFound),
    (p.IMAGE_PUT, {"camera": "alpha", "width": 1, "height": 1, "data": "not base64!"},
     BadRequest),
    (p.IMAGE_PUT, {"camera": "alpha", "width": 1, "height": 1,
                   "data": base64.b64encode(b"GIF89a" + b"\0" * 20).decode()}, BadRequest),
])
async def test_bad_input_is_a_4xx_that_changes_nothing(
        network: Any, bus: BusClient, endpoint: Any, body: dict[str, Any],
        error: type[Exception]) -> None:
    await bus.request(n.CAMERA_ADD, camera_body())
    before = await bus.request(p.PROFILE_GET, {"camera": "alpha"})
    cam = await bus.request(n.CAMERA_GET, {"camera": "alpha"})
    with pytest.raises(error):
        await bus.request(endpoint, body)
    assert await bus.request(p.PROFILE_GET, {"camera": "alpha"}) == before
    assert await bus.request(n.CAMERA_GET, {"camera": "alpha"}) == cam
    blobs = BlobStore(network.settings.resolved_blob_dir)
    assert not list(blobs.keys(p.IMAGES_ROOT))

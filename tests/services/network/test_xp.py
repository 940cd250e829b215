"""XP, levels and badges from the cameras' data, over the bus with the real
capture (hub index) and products services: the rules table adds up,
recomputing changes nothing, a replayed upload adds nothing, deleting data
lowers XP, badges are earned, granted and revoked (audited)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.services.web.site_seed import seed_products
from zenith.bus.client import BusClient
from zenith.cli.nats_server import NatsServer
from zenith.config import load_settings
from zenith.contracts import admin, frames, network, xp
from zenith.contracts.frames import FrameDoc
from zenith.errors import BadRequest, DuplicateKey, NotFound
from zenith.runner import service_context
from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_metadata
from zenith.timefmt import utcnow
from zenith_network.settings import NetworkSettings

from .conftest import camera_body, network_settings

START = date(2026, 1, 1)


@pytest.fixture
def settings(tmp_path: Path, nats_server: NatsServer) -> NetworkSettings:
    """The network service recomputes XP on every question (no cache)."""
    return network_settings(tmp_path, nats_server.url, network_xp_cache_s=0)


@pytest.fixture
async def hub_data(tmp_path: Path, nats_server: NatsServer, network: Any
                   ) -> AsyncIterator[dict[str, Any]]:
    from zenith_capture.service import serve as serve_capture
    from zenith_capture.settings import CaptureSettings
    from zenith_products.service import serve as serve_products
    from zenith_products.settings import ProductsSettings

    blobs = tmp_path / "blobs"
    capture = load_settings(CaptureSettings, env={}, nats_url=nats_server.url,
                            data_dir=tmp_path / "capture", blob_dir=blobs,
                            metadata_url=f"sqlite:///{tmp_path / 'capture.db'}",
                            capture_hub_ingest=True)
    products = load_settings(ProductsSettings, env={}, nats_url=nats_server.url,
                             data_dir=tmp_path / "products", blob_dir=blobs,
                             metadata_url=f"sqlite:///{tmp_path / 'products.db'}",
                             products_hub_ingest=True, products_retention_interval_s=0)
    async with service_context("capture", capture, serve_capture), \
            service_context("products", products, serve_products):
        yield {"capture": capture, "products": products, "blobs": blobs}


async def add_frames(settings: Any, blob_dir: Path, camera: str, night: date,
                     count: int) -> list[FrameDoc]:
    """Index ``count`` frames of a night the way capture's ingest does."""
    from zenith_capture.frames_index import FrameIndex

    meta = await open_metadata(settings.resolved_metadata_url)
    blobs = BlobStore(blob_dir)
    docs = []
    try:
        index = FrameIndex(meta, blobs, camera)
        for n in range(count):
            key = f"frames/{camera}/{night}/{n:04d}.jpg"
            blobs.write_bytes(key, b"\xff\xd8frame\xff\xd9")
            doc = FrameDoc(id=f"{camera}-{night}-{n}", camera=camera, night=night.isoformat(),
                           taken_at=utcnow(), is_night=True, key=key, width=8, height=8,
                           size=9, exposure_s=1.0, gain=1.0, created_at=utcnow())
            await index.add(doc)
            docs.append(doc)
    finally:
        await meta.close()
    return docs


async def replay(settings: Any, doc: FrameDoc) -> None:
    from zenith_capture.frames_index import FrameIndex

    meta = await open_metadata(settings.resolved_metadata_url)
    try:
        await FrameIndex(meta, BlobStore(Path("/nonexistent")), doc.camera).add(doc)
    finally:
        await meta.close()


def parts(result: xp.CameraXp) -> dict[str, tuple[int, int]]:
    return {p.rule: (p.count, p.xp) for p in result.parts}


async def test_xp_adds_up_from_the_data_and_deleting_lowers_it(
        hub_data: dict[str, Any], bus: BusClient) -> None:
    await bus.request(network.CAMERA_ADD, camera_body("alpha"))
    fresh = await bus.request(xp.XP_GET, {"camera": "alpha"})
    assert fresh.xp == 0 and fresh.level == 1 and fresh.badges == ["member"]

    docs = []
    for day in (0, 1, 2, 4):  # a run of three nights, a gap, one more
        docs += await add_frames(hub_data["capture"], hub_data["blobs"], "alpha",
                                 START + timedelta(days=day), 150)
    await seed_products(hub_data["products"], hub_data["blobs"], "alpha",
                        [("2026-01-01", "keogram"), ("2026-01-01", "startrails"),
                         ("2026-01-02", "keogram")])
    await bus.request(network.HIGHLIGHT_ADD, {
        "camera": "alpha", "product": "alpha:2026-01-01:keogram",
        "key": "products/alpha/2026-01-01/keogram.jpg", "category": "aurora"})
    result = await bus.request(xp.XP_GET, {"camera": "alpha"})
    assert parts(result) == {"live_images": (600, 6), "nights": (4, 8),
                             "product_nights": (2, 10), "highlights": (1, 20),
                             "streak": (3, 9)}
    assert result.xp == 53 and (result.level, result.level_name) == (2, "Stargazer")
    assert result.next_level_xp == 200
    assert result.badges == ["member", "first-night", "first-aurora"]

    # asked again, and after a replayed upload: the same
    with pytest.raises(DuplicateKey):
        await replay(hub_data["capture"], docs[0])
    assert await bus.request(xp.XP_GET, {"camera": "alpha"}) == result

    # deleting a night's frames and hiding the highlight lower it
    await bus.request(frames.DELETE, {"night": "2026-01-05"}, camera="alpha")
    highlight = (await bus.request(network.HIGHLIGHT_LIST, {"camera": "alpha"})).highlights[0]
    await bus.request(network.HIGHLIGHT_SET_ACTIVE, {"id": highlight.id, "active": False})
    lower = await bus.request(xp.XP_GET, {"camera": "alpha"})
    assert parts(lower)["nights"] == (3, 6) and parts(lower)["highlights"] == (0, 0)
    assert parts(lower)["live_images"] == (450, 4)
    assert lower.xp == 4 + 6 + 10 + 0 + 9 and "first-aurora" not in lower.badges

    listed = await bus.request(xp.XP_LIST, {"cameras": ["alpha", "nobody"]})
    assert [c.camera for c in listed.cameras] == ["alpha"]
    with pytest.raises(NotFound):
        await bus.request(xp.XP_GET, {"camera": "nobody"})


async def test_badges_granted_and_revoked_by_an_admin_are_audited(
        hub_data: dict[str, Any], bus: BusClient) -> None:
    await bus.request(network.CAMERA_ADD, camera_body("beta"))
    who = {"Zenith-User": "root-admin"}
    granted = await bus.request(xp.BADGE_GRANT, {"camera": "beta", "badge": "supporter",
                                                 "note": "funds the server"}, headers=who)
    assert granted.badges == ["member", "supporter"]
    revoked = await bus.request(xp.BADGE_REVOKE, {"camera": "beta", "badge": "member"},
                                headers=who)
    assert revoked.badges == ["supporter"]
    with pytest.raises(BadRequest):
        await bus.request(xp.BADGE_GRANT, {"camera": "beta", "badge": "made-up"}, headers=who)
    with pytest.raises(NotFound):
        await bus.request(xp.BADGE_GRANT, {"camera": "nobody", "badge": "supporter"},
                          headers=who)
    entries = (await bus.request(admin.AUDIT_LIST, {"target": "beta"})).entries
    assert [(e.actor, e.action, e.details["badge"]) for e in entries] == [
        ("root-admin", "badge.revoke", "member"), ("root-admin", "badge.grant", "supporter")]


def test_the_rules_table_and_levels() -> None:
    assert [r.name for r in xp.RULES] == ["live_images", "nights", "product_nights",
                                          "highlights", "streak"]
    assert xp.level_of(0) == (1, "First light", 50)
    assert xp.level_of(199) == (2, "Stargazer", 200)
    assert xp.level_of(10 ** 6)[0] == len(xp.LEVELS) and xp.level_of(10 ** 6)[2] is None
    assert [b.name for b in xp.BADGES if b.granted] == ["supporter"]

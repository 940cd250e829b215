"""Retention: keep-days per type, a high-water mark, and highlights are sacred.

Frames are the capture service's, highlights the network service's: both run
for real (``capture_index``, ``highlights``), and retention asks them."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from tests.services.products.productstest import CAMERA, running
from zenith.bus.client import BusClient
from zenith.contracts.frames import FRAMES_INDEX, FrameDoc
from zenith.contracts.products import INDEX, product_id
from zenith.timefmt import from_iso, utcnow
from zenith_capture.frames_index import mark_stale
from zenith_products.retention import Retention, store_bytes

pytestmark = pytest.mark.usefixtures("capture_index")

KINDS = {"keogram": "keogram.jpg", "startrails": "startrails.jpg", "timelapse": "timelapse.mp4",
         "mini-timelapse": "mini-timelapse.mp4"}


def _day(days_ago: int) -> str:
    return (utcnow().date() - timedelta(days=days_ago)).isoformat()


async def _archive(meta, blobs, nights: list[str]) -> None:
    """Two frames and the four nightly products of each night."""
    for night in nights:
        for i in range(2):
            key = f"frames/{CAMERA}/{night}/{i}.jpg"
            blobs.write_bytes(key, b"x" * 1000)
            at = from_iso(f"{night}T22:00:0{i}.000000Z")
            await meta.put(FRAMES_INDEX.name, FRAMES_INDEX.to_doc(FrameDoc(
                id=f"{night}-{i}", camera=CAMERA, night=night, key=key, taken_at=at,
                is_night=True, width=8, height=8, size=1000, exposure_s=30, gain=1,
                created_at=at)))
        await mark_stale(meta, CAMERA, night)  # what capture's own writers do
        for kind, name in KINDS.items():
            key = f"products/{CAMERA}/{night}/{name}"
            thumb = f"products/{CAMERA}/{night}/thumbs/{kind}.jpg"
            blobs.write_bytes(key, b"p" * 5000)
            blobs.write_bytes(thumb, b"t" * 100)
            await meta.put(INDEX, {"_id": product_id(CAMERA, night, kind), "camera": CAMERA,
                                   "night": night, "kind": kind, "key": key,
                                   "thumb_key": thumb, "final": True})


async def _kinds_left(meta, night: str) -> set[str]:
    return {d["kind"] for d in await meta.find(INDEX, {"night": night})}


async def test_keep_days_per_type_and_highlights(settings, meta, blobs, bus: BusClient,
                                                 highlights):
    old, month, recent = _day(40), _day(20), _day(2)
    await _archive(meta, blobs, [old, month, recent])
    highlighted = f"products/{CAMERA}/{old}/timelapse.mp4"
    await highlights(highlighted)
    await highlights(f"frames/{CAMERA}/{old}/1.jpg")
    settings = settings.model_copy(update={
        "products_keep_frames_days": 14, "products_keep_videos_days": 30,
        "products_keep_keograms_days": 0, "products_keep_startrails_days": 10,
        "products_highlights_required": True})
    report = await Retention(settings, meta, blobs, bus).run()

    assert report.deleted == {"frames": 3, "videos": 1, "startrails": 2}
    assert report.kept_highlighted == 2
    # frames: older than 14 days go, the highlighted one stays (blob and row)
    assert [d["_id"] for d in await meta.find(FRAMES_INDEX.name, sort=[("_id", 1)])] == \
        [f"{old}-1", f"{recent}-0", f"{recent}-1"]
    assert not blobs.exists(f"frames/{CAMERA}/{old}/0.jpg")
    assert blobs.exists(f"frames/{CAMERA}/{old}/1.jpg")
    # videos older than 30 days go except the highlighted timelapse; keograms stay for ever
    assert await _kinds_left(meta, old) == {"keogram", "timelapse"}
    assert blobs.exists(highlighted) and blobs.exists(f"products/{CAMERA}/{old}/thumbs/"
                                                      "timelapse.jpg")
    assert not blobs.exists(f"products/{CAMERA}/{old}/mini-timelapse.mp4")
    assert not blobs.exists(f"products/{CAMERA}/{old}/thumbs/mini-timelapse.jpg")
    assert await _kinds_left(meta, month) == {"keogram", "timelapse", "mini-timelapse"}
    assert await _kinds_left(meta, recent) == set(KINDS)
    assert not report.high_water


async def test_high_water_deletes_oldest_first_but_never_a_highlight(settings, meta, blobs,
                                                                    bus: BusClient, highlights):
    nights = [_day(n) for n in (9, 8, 7)]
    await _archive(meta, blobs, nights)
    keep = f"products/{CAMERA}/{nights[0]}/keogram.jpg"
    await highlights(keep)
    # a night being built (work folder) is never touched
    blobs.write_bytes(f"work/products/{CAMERA}/nights/{nights[2]}/state.json", b"{}")
    size = store_bytes(blobs)
    # frames (2 x 1000 bytes) and videos (2 x 5100) of one night are not enough
    limit = size - 13000
    settings = settings.model_copy(update={
        "products_keep_frames_days": 0, "products_keep_videos_days": 0,
        "products_disk_max_bytes": limit})
    dry = await Retention(settings, meta, blobs, bus, dry_run=True).run()
    assert dry.dry_run and dry.rows > 0 and blobs.exists(f"frames/{CAMERA}/{nights[0]}/0.jpg")

    report = await Retention(settings, meta, blobs, bus).run()
    assert report.high_water
    assert store_bytes(blobs) <= limit
    # the oldest night went first: frames, then videos, then the keogram ... but not its
    # highlighted keogram; the next night was not needed
    assert await _kinds_left(meta, nights[0]) == {"keogram"}
    assert blobs.exists(keep)
    assert await meta.count(FRAMES_INDEX.name, {"night": nights[0]}) == 0
    assert await _kinds_left(meta, nights[1]) == set(KINDS)

    # with no room at all, everything but the highlight and the open night goes
    tight = settings.model_copy(update={"products_disk_max_bytes": 1})
    await Retention(tight, meta, blobs, bus).run()
    assert await _kinds_left(meta, nights[0]) == {"keogram"}
    assert await _kinds_left(meta, nights[1]) == set()
    assert await meta.count(FRAMES_INDEX.name, {"night": nights[1]}) == 0
    assert await _kinds_left(meta, nights[2]) == set(KINDS)  # being built
    assert blobs.exists(keep)


async def test_the_service_applies_retention_on_its_own(settings, meta, blobs, nc):
    old = (date.today() - timedelta(days=30)).isoformat()
    await _archive(meta, blobs, [old])
    settings = settings.model_copy(update={"products_retention_interval_s": 0.3,
                                           "products_keep_frames_days": 7})
    async with running(settings):
        for _ in range(100):
            if await meta.count(FRAMES_INDEX.name, {"night": old}) == 0:
                break
            await asyncio.sleep(0.1)
    assert await meta.count(FRAMES_INDEX.name, {"night": old}) == 0
    assert not blobs.exists(f"frames/{CAMERA}/{old}/0.jpg")
    assert await _kinds_left(meta, old) == set(KINDS)  # products kept (videos: 30 days)


async def test_a_hub_deletes_nothing_while_highlights_are_unknown(settings, meta, blobs,
                                                                  bus: BusClient):
    old = _day(40)
    await _archive(meta, blobs, [old])
    hub = settings.model_copy(update={"products_keep_frames_days": 7,
                                      "products_keep_videos_days": 7,
                                      "products_highlights_required": True})
    report = await Retention(hub, meta, blobs, bus).run()  # no network service runs
    assert report.rows == 0 and "network service" in report.skipped
    assert await meta.count(FRAMES_INDEX.name, {"night": old}) == 2
    assert await _kinds_left(meta, old) == set(KINDS)

    node = hub.model_copy(update={"products_highlights_required": False})
    report = await Retention(node, meta, blobs, bus).run()  # a node of no hub: no highlights
    assert report.deleted["frames"] == 2 and report.deleted["videos"] == 2

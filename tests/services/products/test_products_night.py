"""A night end to end: frame events in, final products out (service in-process)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import av
import numpy as np
from prometheus_client import REGISTRY

from tests.services.products.productstest import (
    CAMERA,
    NIGHT,
    Night,
    ProductEvents,
    publish,
    read_image,
    running,
    top_level_atoms,
    wait_status,
)
from zenith.contracts.products import INDEX, product_id
from zenith_products.keogram_render import band_height, hour_marks
from zenith_products.settings import ProductsSettings


def count(outcome: str, camera: str = CAMERA) -> float:
    value = REGISTRY.get_sample_value("zenith_products_frames_total",
                                      {"camera": camera, "outcome": outcome})
    return value or 0.0


async def test_a_night_makes_every_product(settings: ProductsSettings, meta, blobs,
                                           events: ProductEvents, nc):
    settings = settings.model_copy(update={
        "products_keogram_expand": 3, "products_refresh_frames": 6, "products_mini_frames": 4,
        "products_mini_every": 2})
    night = Night()
    frames = night.frames(18, keep_image=True)  # 19:40 .. 21:05
    async with running(settings) as ctx:
        await publish(ctx.js, blobs, frames[:6])
        interim = await events.wait(lambda e: e.kind == "keogram" and not e.final)
        # 12 frames at once: the refresh waits until the backlog is worked off
        await publish(ctx.js, blobs, frames[6:])
        later = await events.wait(lambda e: e.kind == "keogram" and e.frames > 6)
        await publish(ctx.js, blobs, [night.sunrise(20)])
        final = await events.wait_final(("keogram", "startrails", "timelapse",
                                         "mini-timelapse"))
        status = await wait_status(ctx.bus, lambda r: NIGHT in r.finished)
    assert interim.frames == 6 and interim.night == NIGHT
    assert later.frames == 18 and not later.final

    # keogram: one column per frame, repeated 3 times, hours labelled where they begin
    keogram = read_image(blobs, final["keogram"].key)
    band = band_height(240)
    assert keogram.shape == (240 + 2 * band, 18 * 3, 3)
    times = [f.event.taken_at.timestamp() for f in frames]
    expected = [{"x": m.x, "label": m.label}
                for m in hour_marks(times, ZoneInfo("UTC"), 3, band, 54)]
    assert final["keogram"].meta["hours"] == expected == [{"x": 4 * 3, "label": "20"},
                                                          {"x": 16 * 3, "label": "21"}]
    ticks = keogram[band + 240:band + 240 + max(3, band // 3)]
    assert ticks[:, 12].min() > 200 and ticks[:, 48].min() > 200  # JPEG: nearly white
    assert ticks[:, 30].max() < 60
    for i, frame in enumerate(frames):
        column = frame.image[:, 160].astype(int)
        drawn = keogram[band:band + 240, i * 3:(i + 1) * 3].astype(int)
        assert np.abs(drawn - column[:, None, :]).mean() < 6  # the frame's centre column (JPEG)

    # startrails: all frames dark enough
    trails = final["startrails"]
    assert trails.meta["used"] == 18 and trails.meta["skipped"] == 0
    assert read_image(blobs, trails.key).shape == (240, 320, 3)

    # timelapse: H.264, yuv420p, every frame, index before data
    video = blobs.path(final["timelapse"].key)
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert sum(1 for _ in container.decode(stream)) == 18
    atoms = top_level_atoms(video.read_bytes())
    assert atoms.index("moov") < atoms.index("mdat")
    assert final["timelapse"].frames == 18

    # mini-timelapse: the last 4 frames
    with av.open(str(blobs.path(final["mini-timelapse"].key))) as container:
        assert sum(1 for _ in container.decode(video=0)) == 4

    # thumbnails and the index
    for kind, event in final.items():
        assert event.thumb_key and blobs.exists(event.thumb_key), kind
        assert read_image(blobs, event.thumb_key).shape[1] <= 64
        doc = await meta.get(INDEX, product_id(CAMERA, NIGHT, kind))
        assert doc["final"] is True and doc["key"] == event.key and doc["size"] > 0
    assert status.night is None and NIGHT in status.finished
    assert not any(blobs.keys(f"work/products/{CAMERA}/nights"))  # work folder cleaned up


async def test_monthly_and_yearly_products_follow_each_night(settings, meta, blobs, events, nc):
    settings = settings.model_copy(update={"products_monthly_interval_s": 600,
                                           "products_yearly_interval_s": 1800,
                                           "products_monthly_width": 288,
                                           "products_monthly_strip_height": 10,
                                           "products_longterm_width": 160,
                                           "products_longterm_height": 120})
    first, second = Night(night="2026-11-20"), Night(night="2026-11-21")
    first.start = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
    second.start = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
    async with running(settings) as ctx:
        await publish(ctx.js, blobs, first.frames(7, level=0.09))  # 20:00 .. 20:30
        # the next night's first frame ends the first night
        await publish(ctx.js, blobs, second.frames(7, level=0.09))
        await publish(ctx.js, blobs, [second.sunrise(30)])
        month = await events.wait(lambda e: e.kind == "monthly-keogram" and e.frames == 2)
        video = await events.wait(lambda e: e.kind == "monthly-timelapse" and e.frames == 8)
        year = await events.wait(lambda e: e.kind == "yearly-timelapse" and e.frames == 4)
    assert month.meta["nights"] == ["2026-11-20", "2026-11-21"] and not month.final
    image = read_image(blobs, month.key)
    band = max(18, min(40, 10))
    left = image.shape[1] - 288
    rows = {day: image[band + (day - 1) * 10 + 3: band + day * 10 - 3, left:].mean(axis=(0, 2))
            for day in (19, 20, 21)}
    assert rows[19].max() < 8  # no night on the 19th
    # noon to noon in 288 px: 5 min a pixel; a frame covers 1.5 frame intervals
    # around it, so 20:00-20:30 lights px 94..103 and 22:00-22:30 px 118..127
    lit = np.nonzero(rows[20] > 12)[0]
    assert abs(lit.min() - 94) <= 1 and abs(lit.max() - 103) <= 1
    lit = np.nonzero(rows[21] > 12)[0]
    assert abs(lit.min() - 118) <= 1 and abs(lit.max() - 127) <= 1
    # a frame per 10 min of each night in the monthly one, per 30 min in the yearly one
    assert video.meta["nights"] == ["2026-11-20", "2026-11-21"]
    with av.open(str(blobs.path(video.key))) as container:
        assert sum(1 for _ in container.decode(video=0)) == 8
        assert container.streams.video[0].codec_context.width == 160
    assert year.key.endswith("yearly/2026/timelapse.mp4")
    doc = await meta.get(INDEX, product_id(CAMERA, "2026-01-01", "yearly-timelapse"))
    assert doc["frames"] == 4

"""A whole accelerated night through `zenith dev`, as a user would run it:
frames, sky-metric series, then the night's keogram, startrails, timelapse,
mini-timelapse and thumbnails, final once the simulated sun is up; the
timelapse plays in Chromium."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import nats
import pytest

from tests.integration.devstack import DevStack
from tests.support.browser import play_video, require_chromium
from zenith.contracts.products import PRODUCT_READY, ProductReady

pytestmark = [pytest.mark.slow, pytest.mark.browser]
NIGHTLY = {"keogram", "startrails", "timelapse"}
# 15:00 to 08:00 UTC at 52 N, 5 E on a moonless November night, 900x: about 70 s
NIGHT_ENV = {
    "ZENITH_CAPTURE_SIM_START": "2026-11-09T15:00:00Z",
    "ZENITH_CAPTURE_SIM_SPEED": "900",
    "ZENITH_CAPTURE_INTERVAL_S": "60",
    "ZENITH_CAPTURE_DAY_INTERVAL_S": "300",
    "ZENITH_CAPTURE_WIDTH": "640",
    "ZENITH_CAPTURE_HEIGHT": "480",
    "ZENITH_PRODUCTS_MINI_EVERY": "10",
}


async def final_products(nats_url: str, login: dict[str, str],
                         timeout: float) -> dict[str, ProductReady]:
    """Final nightly products announced on zenith.products.demo.*, by kind."""
    nc = await nats.connect(nats_url, **login)
    found: dict[str, ProductReady] = {}
    try:
        js = nc.jetstream()
        sub = await js.subscribe(PRODUCT_READY.wildcard(camera="demo"), ordered_consumer=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (NIGHTLY <= set(found) and "mini-timelapse" in found):
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                msg = await sub.next_msg(timeout=min(left, 5))
            except nats.errors.TimeoutError:
                continue
            event = ProductReady.model_validate_json(msg.data)
            if event.final or event.kind == "mini-timelapse":
                found[event.kind] = event
    finally:
        await nc.close()
    return found


def test_accelerated_night_makes_every_product(tmp_path: Path):
    require_chromium()
    data = tmp_path / "var"
    stack = DevStack(data, **NIGHT_ENV).start()
    try:
        stack.wait_healthy()
        products = asyncio.run(final_products(stack.nats_url, stack.nats_login, timeout=300))
        assert NIGHTLY <= set(products), f"{sorted(products)}\n{stack.output[-3000:]}"
        assert "mini-timelapse" in products
    finally:
        assert stack.stop() == 0

    night = products["keogram"].night
    assert night == "2026-11-09"
    blobs = data / "blobs"
    frames = list((blobs / "frames" / "demo" / night).glob("*.jpg"))
    thumbs = list((blobs / "thumbs" / "demo" / night).glob("*.jpg"))
    assert len(frames) >= 60 and len(thumbs) == len(frames)
    for kind in NIGHTLY | {"mini-timelapse"}:
        event = products[kind]
        assert (blobs / event.key).stat().st_size > 1000, kind
        assert event.thumb_key and (blobs / event.thumb_key).exists(), kind
    meta = sqlite3.connect(data / "metadata.db")
    try:
        night_frames = meta.execute(
            "select count(*) from frames where json_extract(doc, '$.night') = ? "
            "and json_extract(doc, '$.is_night')", (night,)).fetchone()[0]
    finally:
        meta.close()
    assert night_frames > 0.8 * len(frames)  # the rest: the afternoon before dark
    assert products["timelapse"].frames == night_frames
    assert 0 < products["startrails"].frames <= night_frames  # only the dark frames

    db = sqlite3.connect(data / "series.db")
    try:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        rows = 0
        for table in tables:
            columns = [r[1] for r in db.execute(f"pragma table_info({table})")]
            if "measurement" in columns:
                rows += db.execute(f"select count(*) from {table} where measurement='sky'"
                                   ).fetchone()[0]
    finally:
        db.close()
    assert rows >= len(frames)

    state = asyncio.run(play_video(blobs / products["timelapse"].key))
    assert state["error"] is None and state["width"] == 640
    assert state["duration"] > 0 and state["time"] == pytest.approx(state["duration"], abs=0.1)

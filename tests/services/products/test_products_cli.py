"""``zenith products render`` and ``zenith products retention`` as a user runs them."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from tests.services.products.productstest import (
    CAMERA,
    FAST,
    NIGHT,
    Night,
    ProductEvents,
    publish,
    read_image,
    running,
)
from tests.services.products.synth import publish_frame
from zenith.contracts.frames import FRAMES_INDEX, FrameDoc
from zenith.contracts.products import INDEX, product_id
from zenith_capture.frames_index import mark_stale


def zenith(args: list[str], data_dir: Path, nats_url: str, **env: str
           ) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ)
    full.update({"ZENITH_DATA_DIR": str(data_dir), "ZENITH_NATS_URL": nats_url,
                 "ZENITH_PRODUCTS_THUMB_WIDTH": str(FAST["products_thumb_width"]), **env})
    return subprocess.run([sys.executable, "-m", "zenith", *args], env=full, text=True,
                          capture_output=True, timeout=120)


async def test_render_rebuilds_the_night_as_the_live_service_made_it(settings, meta, blobs,
                                                                      events: ProductEvents,
                                                                      nc, capture_index):
    night = Night()
    frames = night.frames(12)
    broken = night.frame(12, data=b"\xff\xd8broken\xff\xd9")  # in the archive, unreadable
    async with running(settings) as ctx:
        await publish(ctx.js, blobs, [*frames, broken], meta=meta)
        await publish(ctx.js, blobs, [night.sunrise(20)], meta=meta)
        live = await events.wait_final()
    live_keogram = read_image(blobs, live["keogram"].key)
    live_trails = read_image(blobs, live["startrails"].key)
    blobs.delete(live["keogram"].key)
    before = len(events.events)

    done = await asyncio.to_thread(zenith, ["products", "render", "--camera", CAMERA,
                                            "--night", NIGHT],
                  settings.data_dir, settings.nats_url)
    assert done.returncode == 0, done.stderr
    assert f"{CAMERA} {NIGHT}: 12 of 13 frames used (1 corrupt skipped)" in done.stdout
    assert "products/cam-1/2026-11-21/keogram.jpg" in done.stdout
    assert f"{CAMERA} {NIGHT}: 13/13 frames" in done.stderr  # progress, line by line off a tty
    # the same frames, decoded the same way: the same pictures
    assert np.array_equal(read_image(blobs, live["keogram"].key), live_keogram)
    assert np.array_equal(read_image(blobs, live["startrails"].key), live_trails)
    doc = await meta.get(INDEX, product_id(CAMERA, NIGHT, "timelapse"))
    assert doc["final"] and doc["frames"] == 12
    announced = await events.wait(lambda e: e.kind == "keogram" and events.events.index(e)
                                  >= before)
    assert announced.final and announced.frames == 12


async def test_render_only_some_products(settings, meta, blobs, nc, capture_index):
    night = Night()
    for f in night.frames(5):
        await publish_frame(None, blobs, f.event, f.data, meta)
    done = await asyncio.to_thread(zenith, ["products", "render", "--camera", CAMERA,
                                            "--night", NIGHT,
                   "--only", "keogram,startrails", "--no-announce"], settings.data_dir,
                  settings.nats_url)
    assert done.returncode == 0, done.stderr
    assert blobs.exists(f"products/{CAMERA}/{NIGHT}/keogram.jpg")
    assert blobs.exists(f"products/{CAMERA}/{NIGHT}/startrails.jpg")
    assert not blobs.exists(f"products/{CAMERA}/{NIGHT}/timelapse.mp4")
    empty = await asyncio.to_thread(zenith, ["products", "render", "--camera", CAMERA,
                                             "--night", "2026-11-01"],
                   settings.data_dir, settings.nats_url)
    assert empty.returncode == 1 and "no frames of camera cam-1 for night" in empty.stderr


def test_render_refuses_bad_arguments(tmp_path: Path):
    url = "nats://127.0.0.1:1"
    for args, code, message in [
        (["--camera", CAMERA, "--night", "21-11-2026"], 2, "is not a date YYYY-MM-DD"),
        (["--camera", "Bad Camera", "--night", NIGHT], 2, "invalid camera id"),
        (["--camera", CAMERA, "--night", NIGHT, "--only", "keogram,movie"], 2,
         "unknown kind(s) movie"),
        (["--camera", CAMERA, "--night", NIGHT], 1, "asked of the capture service over NATS"),
    ]:
        done = zenith(["products", "render", *args], tmp_path, url)
        assert done.returncode == code, (args, done.stderr)
        assert message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    bad = zenith(["products", "render", "--camera", CAMERA, "--night", NIGHT], tmp_path, url,
                 ZENITH_PRODUCTS_STARTRAILS_THRESHOLD="2")
    assert bad.returncode == 2 and "ZENITH_PRODUCTS_STARTRAILS_THRESHOLD" in bad.stderr


async def test_retention_command(settings, meta, blobs, capture_index):
    at = datetime(2020, 1, 1, 22, tzinfo=UTC)
    await meta.put(FRAMES_INDEX.name, FRAMES_INDEX.to_doc(FrameDoc(
        id="f1", camera=CAMERA, night="2020-01-01", key="frames/cam-1/2020-01-01/f1.jpg",
        taken_at=at, is_night=True, width=8, height=8, exposure_s=30, gain=1, created_at=at)))
    await mark_stale(meta, CAMERA, "2020-01-01")  # what capture's own writers do
    blobs.write_bytes("frames/cam-1/2020-01-01/f1.jpg", b"x" * 10)
    dry = await asyncio.to_thread(zenith, ["products", "retention", "--dry-run"], settings.data_dir,
                                   settings.nats_url, ZENITH_CAMERA=CAMERA)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["deleted"] == {"frames": 1}
    assert blobs.exists("frames/cam-1/2020-01-01/f1.jpg")
    done = await asyncio.to_thread(zenith, ["products", "retention"], settings.data_dir,
                                    settings.nats_url, ZENITH_CAMERA=CAMERA)
    assert done.returncode == 0 and json.loads(done.stdout)["rows"] == 1
    assert not blobs.exists("frames/cam-1/2020-01-01/f1.jpg")
    assert await meta.count(FRAMES_INDEX.name) == 0

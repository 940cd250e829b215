"""The viewer with a real video: a timelapse encoded by the products
service's own encoder (PyAV libx264, yuv420p, +faststart: what products
publishes), served by the website and played in Debian's Chromium — it
decodes, plays to its end, plays slowly, and steps frame by frame to frames
that differ."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from playwright.async_api import async_playwright, expect

from tests.services.web.site_seed import jpeg
from tests.services.web.sitepages import Watch
from tests.services.web.webstack import CAMERA, WebUnderTest
from tests.support.browser import CHROMIUM_ARGS, require_chromium
from zenith.contracts.products import product_key, thumb_key
from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_metadata
from zenith_products.artifact import Artifact
from zenith_products.publisher import Publisher
from zenith_products.video import VideoParams, encode_clip

pytestmark = [pytest.mark.asyncio(loop_scope="package"), pytest.mark.browser]

NIGHT = "2026-09-09"
FRAMES, FPS, WIDTH, HEIGHT = 50, 25, 320, 240


def shade(i: int) -> int:
    return 20 + i * 4  # every frame brighter than the one before


def frames() -> list[av.VideoFrame]:
    out = []
    for i in range(FRAMES):
        pixels = np.full((HEIGHT, WIDTH, 3), shade(i), np.uint8)
        pixels[:, (i * 6) % WIDTH:(i * 6) % WIDTH + 8] = 255  # a bar that moves
        out.append(av.VideoFrame.from_ndarray(pixels, format="rgb24"))
    return out


async def publish_timelapse(products_settings: Any, blob_dir: Path, tmp: Path) -> Path:
    video = tmp / "timelapse.mp4"
    assert encode_clip(frames(), video, VideoParams(WIDTH, HEIGHT, fps=FPS)) == FRAMES
    blobs = BlobStore(blob_dir)
    key, thumb = product_key(CAMERA, NIGHT, "timelapse"), thumb_key(CAMERA, NIGHT, "timelapse")
    blobs.write_bytes(key, video.read_bytes())
    blobs.write_bytes(thumb, jpeg(WIDTH, HEIGHT))
    meta = await open_metadata(products_settings.resolved_metadata_url)
    try:
        await Publisher(meta, None).publish(CAMERA, [Artifact(
            kind="timelapse", night=NIGHT, key=key, thumb_key=thumb, frames=FRAMES, final=True,
            size=video.stat().st_size)])
    finally:
        await meta.close()
    return video


def test_the_encoder_makes_h264_yuv420p_with_the_index_first(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    encode_clip(frames(), video, VideoParams(WIDTH, HEIGHT, fps=FPS))
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
    data = video.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: plays while loading


MEAN = """(v) => {
  const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d'); g.drawImage(v, 0, 0);
  const d = g.getImageData(0, 0, 40, 40).data; let s = 0;
  for (let i = 0; i < d.length; i += 4) s += d[i];
  return s / (d.length / 4);
}"""


async def test_a_real_timelapse_plays_slowly_and_steps_in_chromium(
        web: WebUnderTest, products_service: Any, blob_dir: Path, tmp_path: Path) -> None:
    await publish_timelapse(products_service, blob_dir, tmp_path)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=require_chromium(),
                                           args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(30000)
            watch = Watch(page, web.remote_url)
            await page.goto(web.remote_url + f"/cameras/{CAMERA}/view/{NIGHT}/timelapse")
            video = page.locator("#player")
            await page.wait_for_function("() => document.getElementById('player')"
                                         ".readyState >= 1")
            info = await video.evaluate("v => ({w: v.videoWidth, h: v.videoHeight, "
                                        "d: v.duration, e: v.error && v.error.code})")
            assert info["e"] is None, f"Chromium cannot decode it: MediaError {info['e']}"
            assert (info["w"], info["h"]) == (WIDTH, HEIGHT)
            assert abs(info["d"] - FRAMES / FPS) < 0.1
            # slow: half speed, plays on
            await page.click("button[data-rate='0.5']")
            await expect(page.locator("#player-rate")).to_have_text("Speed 0.5×")
            await page.wait_for_function("() => document.getElementById('player')"
                                         ".currentTime > 0.3")
            assert await video.evaluate("v => v.playbackRate") == 0.5
            # frame steps: pause and go one frame on, then ten; each frame is brighter
            await video.evaluate("v => { v.pause(); v.currentTime = 0.5; }")
            await page.wait_for_function("() => { const v = document.getElementById("
                                         "'player'); return !v.seeking && v.readyState >= 2"
                                         " }")
            before = await video.evaluate(MEAN)
            for _ in range(10):
                await page.click("button[data-step='1']")
            await page.wait_for_function("() => { const v = document.getElementById("
                                         "'player'); return !v.seeking && v.currentTime > "
                                         "0.85 && v.readyState >= 2 }")
            after = await video.evaluate(MEAN)
            assert after > before + 20, (before, after)  # ten frames on: 40 shades brighter
            await page.click("button[data-step='-1']")
            assert await video.evaluate("v => v.paused")
            # to the end at normal speed: every frame decoded, no error
            await page.click("button[data-rate='1']")
            await page.wait_for_function("() => document.getElementById('player').ended")
            shown = await video.evaluate("v => v.getVideoPlaybackQuality().totalVideoFrames")
            assert shown > 0 and await video.evaluate("v => v.error") is None
            watch.check()
        finally:
            await browser.close()

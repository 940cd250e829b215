"""A night's timelapse, joined from segments, plays in a real Chromium."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from aiohttp import web
from playwright.async_api import async_playwright

from zenith.cli.nats_server import free_port
from zenith.testing.require import missing
from zenith_products.decode import decode
from zenith_products.testing import SkySynth, jpeg_bytes
from zenith_products.video import SegmentEncoder, VideoParams, concat

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--autoplay-policy=no-user-gesture-required"]
PAGE = """<!doctype html><meta charset="utf-8">
<video id="v" muted playsinline preload="auto" src="night.mp4"></video>"""


def _night_video(folder: Path) -> int:
    """A timelapse joined from segments of uneven length, as the service makes it."""
    sky = SkySynth(640, 480, stars=80)
    params = VideoParams(640, 480, fps=25)
    segments, index = [], 0
    for number, length in enumerate((7, 1, 30, 2, 20)):
        encoder = SegmentEncoder(folder / f"seg{number}.mp4", params)
        for _ in range(length):
            encoder.add(decode(jpeg_bytes(sky.frame(index, turn_deg=2))).video_frame(640, 480))
            index += 1
        encoder.close()
        segments.append(encoder.path)
    return concat(segments, folder / "night.mp4", params)


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, int]:
    """A folder with the video and a page showing it; the video's frame count."""
    if not Path(CHROMIUM).exists():
        missing("chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    frames = _night_video(tmp_path)
    (tmp_path / "index.html").write_text(PAGE)
    return tmp_path, frames


async def test_timelapse_plays_to_the_end_in_chromium(site: tuple[Path, int]):
    folder, frames = site
    app = web.Application()
    app.router.add_static("/", folder)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page()
            await page.goto(f"http://127.0.0.1:{port}/index.html")
            await page.wait_for_function("document.getElementById('v').readyState >= 1",
                                         timeout=15000)
            duration = await page.evaluate("document.getElementById('v').duration")
            await page.evaluate("document.getElementById('v').play()")
            await page.wait_for_function("document.getElementById('v').ended", timeout=30000)
            state = await page.evaluate("""() => {
                const v = document.getElementById('v');
                const q = v.getVideoPlaybackQuality();
                return {error: v.error && v.error.code, width: v.videoWidth,
                        height: v.videoHeight, frames: q.totalVideoFrames,
                        time: v.currentTime};
            }""")
            await browser.close()
    finally:
        await runner.cleanup()
    assert frames == 60
    assert duration == pytest.approx(60 / 25, abs=0.05)
    assert state["error"] is None
    assert (state["width"], state["height"]) == (640, 480)
    assert state["time"] == pytest.approx(duration, abs=0.05)
    assert state["frames"] >= 55  # Chromium counts the frames it presented
    assert np.isfinite(duration)

"""Debian's Chromium for browser tests, driven by Playwright (never downloaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from tests.support.require import missing
from zenith.cli.nats_server import free_port

CHROMIUM = "/usr/bin/chromium"
# The machine's network is closed: without the background-networking flags
# Chromium keeps trying to reach its update and sync hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required"]


def require_chromium() -> str:
    if not Path(CHROMIUM).exists():
        missing("chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


async def play_video(video: Path, timeout_s: float = 60.0) -> dict[str, Any]:
    """Serve ``video`` on loopback, play it to its end in Chromium, and report
    what the browser saw: error code, size, duration, end time, frames shown."""
    from playwright.async_api import async_playwright

    page_file = video.parent / f".play-{video.stem}.html"
    page_file.write_text('<!doctype html><meta charset="utf-8"><video id="v" muted '
                         f'playsinline preload="auto" src="{video.name}"></video>')
    app = web.Application()
    app.router.add_static("/", video.parent)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=require_chromium(),
                                               args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await page.goto(f"http://127.0.0.1:{port}/{page_file.name}")
            await page.wait_for_function("document.getElementById('v').readyState >= 1",
                                         timeout=15000)
            await page.evaluate("document.getElementById('v').play()")
            await page.wait_for_function("document.getElementById('v').ended",
                                         timeout=timeout_s * 1000)
            state: dict[str, Any] = await page.evaluate("""() => {
                const v = document.getElementById('v');
                const q = v.getVideoPlaybackQuality();
                return {error: v.error && v.error.code, width: v.videoWidth,
                        height: v.videoHeight, duration: v.duration, time: v.currentTime,
                        frames: q.totalVideoFrames};
            }""")
            await browser.close()
            return state
    finally:
        await runner.cleanup()
        page_file.unlink(missing_ok=True)

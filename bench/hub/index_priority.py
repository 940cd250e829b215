"""Capture's event loop and the hub's index while every core is busy with other work.

    .venv/bin/python bench/hub/index_priority.py [--seconds 25]
                                                 [--out bench/results/index_priority.json]

The hub indexes uploaded frames in worker processes under the idle scheduling
policy, the niced threads standing in for frames those are starved of
(``zenith_capture.index_pools``), or (``ZENITH_CAPTURE_INDEX_IDLE=false``) in
the niced threads only. This runs each way for ``--seconds`` with one busy
process per core (products encoding a night, say): two streams index 1920 px
frames of the simulator one after another (the real :func:`index_frame`: decode, sky metrics,
thumbnail, blobs), as capture's consumer does, while the event loop measures
how late its 10 ms sleeps wake (p50, p99, max). Also reported: frames indexed,
how many the threads indexed, and each frame's wait from being asked for to
done (p50, max). Before this design the idle policy ran on threads, which share
capture's interpreter lock: its loop then woke up to 1.2-1.6 s late.
Results go to ``bench/results/index_priority.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2

from zenith.config import load_settings
from zenith.storage.factory import open_blobs
from zenith_capture.astro import Site
from zenith_capture.index_pools import IdleIndex, IndexPool
from zenith_capture.index_work import IndexJob, IndexResult, Meters, index_frame
from zenith_capture.settings import CaptureSettings
from zenith_capture.sim.render import SimConfig, SkyRenderer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import write_result  # type: ignore[import-not-found,unused-ignore]

RESULT = Path(__file__).resolve().parents[1] / "results" / "index_priority.json"
TICK_S = 0.01
STREAMS = 2
NIGHT = datetime(2026, 11, 9, 21, 0, tzinfo=UTC)


def night_sky() -> bytes:
    """A 1920x1080 JPEG of the simulator's clear night sky at 52 N, 5 E."""
    renderer = SkyRenderer(SimConfig(site=Site(52.0, 5.0, 0.0), width=1920, height=1080,
                                     seed=1, clouds=0.0))
    ok, data = cv2.imencode(".jpg", renderer.render(NIGHT, 10.0, 2.0, 1000),
                            [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return bytes(data)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


async def loaded(index: Callable[[IndexJob], Awaitable[IndexResult]], staged: str,
                 seconds: float) -> dict[str, Any]:
    numbers = itertools.count()
    waits: list[float] = []
    stop = asyncio.Event()

    async def stream() -> None:
        while not stop.is_set():
            n = next(numbers)
            job = IndexJob(camera=f"cam{n % STREAMS}", location=(52.0, 5.0, 0.0),
                           part_key=staged, part_width=1920, part_height=1080, reported=None,
                           taken_at=NIGHT, exposure_s=10.0, gain=4.0, sun_altitude=-40.0,
                           key=f"frames/f{n}.jpg", thumb_key=f"thumbs/f{n}.jpg",
                           thumb_width=320)
            asked = time.perf_counter()
            await index(job)
            waits.append(time.perf_counter() - asked)

    hogs = [await asyncio.create_subprocess_exec(sys.executable, "-c", "while True: pass")
            for _ in range(len(os.sched_getaffinity(0)))]
    streams = [asyncio.ensure_future(stream()) for _ in range(STREAMS)]
    late: list[float] = []
    try:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            asked = time.perf_counter()
            await asyncio.sleep(TICK_S)
            late.append(time.perf_counter() - asked - TICK_S)
    finally:
        for hog in hogs:
            hog.kill()
            await hog.wait()
        stop.set()
        await asyncio.gather(*streams)
    return {"ticks": len(late), "late_p50_ms": round(1000 * percentile(late, 0.5), 2),
            "late_p99_ms": round(1000 * percentile(late, 0.99), 2),
            "late_max_ms": round(1000 * max(late), 2),
            "frames": len(waits), "frame_wait_p50_s": round(percentile(waits, 0.5), 3),
            "frame_wait_max_s": round(max(waits), 3)}


async def run(seconds: float) -> dict[str, Any]:
    cv2.setNumThreads(1)  # as capture's hub part sets it
    folder = Path(tempfile.mkdtemp(prefix="zenith-bench-index-"))
    settings = load_settings(CaptureSettings, env={}, data_dir=folder, latitude=52.0,
                             longitude=5.0, capture_index_workers=STREAMS)
    blobs = open_blobs(settings)
    blobs.write_bytes("staging/sky.jpg", night_sky())
    meters = Meters(settings)
    threads = IndexPool(STREAMS, settings.capture_index_nice)

    def here(job: IndexJob) -> IndexResult:
        return index_frame(job, blobs, meters)

    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "load": f"{len(os.sched_getaffinity(0))} busy processes, {STREAMS} streams of "
                f"1920 px frames, {seconds:.0f} s each",
        "niced_threads": await loaded(lambda job: threads.run(lambda: here(job)),
                                      "staging/sky.jpg", seconds)}
    idle = IdleIndex(settings, threads, here)
    await idle.start()
    try:
        result["idle_processes"] = await loaded(idle.run, "staging/sky.jpg", seconds)
        result["idle_processes"]["frames_by_the_threads"] = idle.fallbacks
        result["idle_processes"]["wait_s"] = idle.wait_s
    finally:
        idle.close()
        threads.close()
    result["note"] = ("late: how late the event loop's 10 ms sleeps woke; frame_wait: from "
                      "a frame asked for to indexed")
    return result


def main() -> int:
    if not sys.platform.startswith("linux"):
        raise SystemExit("a thread's own priority and the idle policy: Linux only")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=25)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    write_result(args.out, asyncio.run(run(args.seconds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

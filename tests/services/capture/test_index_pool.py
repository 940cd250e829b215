"""Where the hub indexes uploaded frames: niced threads, idle worker processes.

The processes run under the idle policy and capture's own process does not;
a frame indexed there is the frame the threads make; a frame the processes
are starved of (every core kept busy by other processes) and a frame whose
worker died are indexed by the threads instead."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from prometheus_client import REGISTRY

from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_blobs
from zenith_capture.index_pools import IdleIndex, IndexPool
from zenith_capture.index_work import IndexJob, IndexResult, Meters, index_frame
from zenith_capture.settings import CaptureSettings
from zenith_capture.upload_metrics import ReportedMetrics

from .conftest import settings_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="a thread's own priority, the idle policy: Linux")

NIGHT = datetime(2026, 11, 9, 21, 0, tzinfo=UTC)


def by_threads(reason: str) -> float:
    return REGISTRY.get_sample_value("zenith_capture_index_by_threads_total",
                                     {"reason": reason}) or 0.0


def nice_here() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def policy_here() -> int:
    return os.sched_getscheduler(threading.get_native_id())


async def run_in(pool: IndexPool, fn):
    try:
        return await pool.run(fn)
    finally:
        pool.close()


async def test_index_threads_are_niced_and_the_process_is_not():
    base = nice_here()
    assert await run_in(IndexPool(2, 5), nice_here) == min(19, base + 5)
    assert nice_here() == base  # the event loop's thread keeps its priority
    assert await run_in(IndexPool(1, 0), nice_here) == base


def night_sky(seed: int) -> bytes:
    """A 640x480 JPEG: a dark sky, noise and a few hundred stars."""
    rng = np.random.default_rng(seed)
    sky = rng.normal(20, 3, (480, 640)).astype(np.float32)
    yy, xx = np.mgrid[-3:4, -3:4]
    spot = np.exp(-(xx ** 2 + yy ** 2) / 2.0)
    for x, y, peak in zip(rng.integers(80, 560, 300), rng.integers(40, 440, 300),
                          rng.uniform(30, 200, 300), strict=True):
        sky[y - 3:y + 4, x - 3:x + 4] += peak * spot
    gray = np.clip(sky, 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", cv2.merge([gray, gray, gray]))
    assert ok
    return data.tobytes()


def job_for(blobs: BlobStore, n: int, reported: ReportedMetrics | None = None) -> IndexJob:
    staged = f"staging/up{n}/fullhd.jpg"
    blobs.write_bytes(staged, night_sky(n))
    return IndexJob(camera="cam-1", location=(52.0, 5.0, 0.0), part_key=staged,
                    part_width=640, part_height=480, reported=reported, taken_at=NIGHT,
                    exposure_s=10.0, gain=4.0, sun_altitude=-40.0,
                    key=f"frames/cam-1/f{n}.jpg", thumb_key=f"thumbs/cam-1/f{n}.jpg",
                    thumb_width=160)


@contextlib.asynccontextmanager
async def idle_index(settings: CaptureSettings) -> AsyncIterator[tuple[IdleIndex, BlobStore]]:
    blobs, meters = open_blobs(settings), Meters(settings)
    threads = IndexPool(1, 10)

    def here(job: IndexJob) -> IndexResult:
        return index_frame(job, blobs, meters)

    idle = IdleIndex(settings, threads, here)
    try:
        await idle.start()
        yield idle, blobs
    finally:
        idle.close()
        threads.close()


@pytest.fixture
def settings(tmp_path: Path) -> CaptureSettings:
    return settings_for(tmp_path / "data", capture_index_workers=1)


async def test_index_processes_run_under_the_idle_policy_and_capture_does_not(settings):
    base = policy_here()
    assert base != os.SCHED_IDLE
    async with idle_index(settings) as (idle, _):
        assert await idle.policy() == os.SCHED_IDLE
    assert policy_here() == base


async def test_a_frame_indexed_by_an_idle_process_is_the_one_the_threads_make(settings):
    async with idle_index(settings) as (idle, blobs):
        there = await idle.run(job_for(blobs, 1))
        reported = ReportedMetrics(mean=0.1, stars=12, hfr=1.5, sqm=20.5, cloud_cover=0.0)
        given = await idle.run(job_for(blobs, 2, reported))
        assert idle.fallbacks == 0
    here = index_frame(job_for(blobs, 1), blobs, Meters(settings))
    assert there.metrics.fields() == here.metrics.fields()
    assert there.metrics.stars > 100  # measured, not assumed
    assert (there.width, there.height, there.size) == (640, 480, here.size)
    assert blobs.read_bytes("frames/cam-1/f1.jpg") == blobs.read_bytes("staging/up1/fullhd.jpg")
    assert cv2.imdecode(np.frombuffer(blobs.read_bytes("thumbs/cam-1/f1.jpg"), np.uint8),
                        cv2.IMREAD_COLOR).shape == (120, 160, 3)
    assert given.metrics == reported and (given.width, given.height) == (640, 480)


async def test_a_frame_the_busy_cores_starve_is_indexed_by_the_threads(tmp_path):
    settings = settings_for(tmp_path / "data", capture_index_workers=1,
                            capture_index_idle_wait_s=0.5)
    cores = len(os.sched_getaffinity(0))
    counted = by_threads("late")
    async with idle_index(settings) as (idle, blobs):
        hogs = [await asyncio.create_subprocess_exec(sys.executable, "-c", "while True: pass")
                for _ in range(cores)]
        try:
            await asyncio.sleep(0.2)
            done = [await idle.run(job_for(blobs, n)) for n in range(3)]
        finally:
            for hog in hogs:
                hog.kill()
                await hog.wait()
        # the first waited its half second; the others went straight to the threads
        assert idle.fallbacks == 3 and by_threads("late") == counted + 3
        assert all(result.metrics.stars > 100 for result in done)
        for n in range(3):
            assert blobs.exists(f"frames/cam-1/f{n}.jpg")
        # the cores free again, the processes index the next one
        await asyncio.sleep(1.0)
        await idle.run(job_for(blobs, 9))
        assert idle.fallbacks == 3


async def test_a_dead_index_process_is_replaced_and_its_frame_indexed(settings):
    counted = by_threads("broken")
    async with idle_index(settings) as (idle, blobs):
        await idle.run(job_for(blobs, 1))
        for pid in list(idle._procs._processes):  # type: ignore[union-attr]
            os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.3)
        result = await idle.run(job_for(blobs, 2))
        assert result.metrics.stars > 100 and idle.fallbacks == 1
        assert by_threads("broken") == counted + 1
        assert blobs.exists("frames/cam-1/f2.jpg")
        await idle.run(job_for(blobs, 3))  # the new pool's worker
        assert idle.fallbacks == 1
        assert await idle.policy() == os.SCHED_IDLE

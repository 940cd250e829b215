"""Capture's per-night totals (``frames.NIGHT_TOTALS``): what ``frames.nights``
answers equals a recount of the frames index after adds and deletes, an index
without totals gets them at start, and a year answers from ~365 documents."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from zenith.bus.client import BusClient
from zenith.contracts import frames
from zenith.contracts.frames import FRAMES_INDEX, NIGHT_TOTALS, FrameDoc
from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_metadata
from zenith.storage.metadata import MetadataStore
from zenith_capture.frames_index import FrameIndex

from .conftest import CAMERA, running_capture

pytestmark = pytest.mark.asyncio
PER_NIGHT = 20  # 200 (a real year, 73,000 rows) takes a minute to write: measured once, see docs


def frame(camera: str, night: date, n: int, size: int = 1000) -> FrameDoc:
    taken = datetime(night.year, night.month, night.day, 18, tzinfo=UTC) + timedelta(minutes=n)
    stamp = frames.frame_stamp(taken)
    return FrameDoc(id=f"{camera}-{stamp}", camera=camera, night=night.isoformat(),
                    taken_at=taken, is_night=True, key=frames.frame_key(camera, night.isoformat(),
                                                                         stamp),
                    width=10, height=10, size=size + n, thumb_size=100, exposure_s=1.0,
                    gain=1.0, created_at=taken)


async def recounted(meta: MetadataStore, camera: str) -> list[frames.NightSummary]:
    by_night: dict[str, list[int]] = {}
    for row in await meta.find(FRAMES_INDEX.name, {"camera": camera}):
        entry = by_night.setdefault(row["night"], [0, 0])
        entry[0] += 1
        entry[1] += int(row.get("size") or 0) + int(row.get("thumb_size") or 0)
    return [frames.NightSummary(night=n, frames=c, bytes=b)
            for n, (c, b) in sorted(by_night.items())]


async def test_totals_equal_a_recount_after_adds_and_deletes(tmp_path: Path) -> None:
    meta = await open_metadata(f"sqlite:///{tmp_path / 'meta.db'}")
    blobs = BlobStore(tmp_path / "blobs")
    try:
        index = FrameIndex(meta, blobs, CAMERA)
        other = FrameIndex(meta, blobs, "cam-2")
        await index.setup()
        nights = [date(2026, 11, 1) + timedelta(days=d) for d in range(4)]
        for night in nights[:3]:
            for n in range(5):
                await index.add(frame(CAMERA, night, n))
        await other.add(frame("cam-2", nights[0], 0))
        query = frames.NightsQuery()
        assert (await index.nights(query)).nights == await recounted(meta, CAMERA)
        # answered from the totals now: nothing stale
        assert all(not d["stale"] for d in await meta.find(NIGHT_TOTALS.name,
                                                           {"camera": CAMERA}))
        # a frame more in an old night, one in a new night: both counted
        await index.add(frame(CAMERA, nights[0], 10))
        await index.add(frame(CAMERA, nights[3], 0))
        got = (await index.nights(query)).nights
        assert got == await recounted(meta, CAMERA)
        assert [s.frames for s in got] == [6, 5, 5, 1]
        # a night deleted except a kept frame, another deleted whole
        keep = frame(CAMERA, nights[1], 2).key
        done = await index.delete(frames.FrameDelete(night=nights[1].isoformat(), keep=[keep]))
        assert (done.deleted, done.kept) == (4, 1)
        await index.delete(frames.FrameDelete(night=nights[2].isoformat()))
        dry = await index.delete(frames.FrameDelete(night=nights[0].isoformat(), dry_run=True))
        assert dry.deleted == 6
        got = (await index.nights(query)).nights
        assert got == await recounted(meta, CAMERA)
        assert [s.night for s in got] == [nights[0].isoformat(), nights[1].isoformat(),
                                          nights[3].isoformat()]
        # paging and bounds as before
        page = (await index.nights(frames.NightsQuery(after=nights[0].isoformat(),
                                                      before=nights[3].isoformat()))).nights
        assert [s.night for s in page] == [nights[1].isoformat()]
        assert len((await index.nights(frames.NightsQuery(limit=2))).nights) == 2
        # another camera's totals are its own
        assert (await other.nights(query)).nights == await recounted(meta, "cam-2")
        # totals lost (or an index older than them): marked at start, recounted
        await meta.delete(NIGHT_TOTALS.name, {})
        assert (await index.nights(query)).nights == []
        assert await FrameIndex(meta, blobs, "").mark_untotalled() == 4  # every camera
        assert (await index.nights(query)).nights == await recounted(meta, CAMERA)
    finally:
        await meta.close()


async def test_concurrent_adds_leave_exact_totals(tmp_path: Path) -> None:
    meta = await open_metadata(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        index = FrameIndex(meta, BlobStore(tmp_path / "blobs"), CAMERA)
        await index.setup()
        night = date(2026, 11, 1)

        async def add_and_ask(n: int) -> None:
            await index.add(frame(CAMERA, night, n))
            await index.nights(frames.NightsQuery())

        await asyncio.gather(*(add_and_ask(n) for n in range(40)))
        got = (await index.nights(frames.NightsQuery())).nights
        assert got == await recounted(meta, CAMERA)
        assert got[0].frames == 40
    finally:
        await meta.close()


async def test_a_year_of_frames_answers_from_the_totals(make_settings: Any, bus: BusClient,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """365 nights x 20 frames written before capture starts (no totals yet):
    capture marks them at start; the first question recounts each night once,
    later ones read 365 totals. Times are printed, not asserted."""
    settings = make_settings(capture_autostart=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    meta = await open_metadata(settings.resolved_metadata_url)
    first = date(2025, 11, 1)
    started = time.perf_counter()
    try:
        for d in range(365):
            night = first + timedelta(days=d)
            await asyncio.gather(*(meta.insert(FRAMES_INDEX.name,
                                               FRAMES_INDEX.to_doc(frame(CAMERA, night, n)))
                                   for n in range(PER_NIGHT)))
    finally:
        await meta.close()
    written = time.perf_counter() - started

    async def ask() -> tuple[float, list[frames.NightSummary]]:
        out: list[frames.NightSummary] = []
        t0 = time.perf_counter()
        after = None
        while True:
            page = await bus.request(frames.NIGHTS, frames.NightsQuery(after=after, limit=1000),
                                     camera=CAMERA, timeout=120)
            out.extend(page.nights)
            if len(page.nights) < 1000:
                return (time.perf_counter() - t0) * 1000, out
            after = page.nights[-1].night

    t0 = time.perf_counter()
    async with running_capture(settings):
        start_ms = (time.perf_counter() - t0) * 1000
        rebuild_ms, nights = await ask()
        answer_ms, again = await ask()
    assert len(nights) == 365 and again == nights
    assert {s.frames for s in nights} == {PER_NIGHT}
    assert sum(s.bytes for s in nights) == 365 * sum(1000 + n + 100 for n in range(PER_NIGHT))
    with capsys.disabled():
        print(f"\nyear of frames ({365 * PER_NIGHT} rows, written in {written:.1f} s): "
              f"capture start {start_ms:.0f} ms, first frames.nights (recount of 365 nights) "
              f"{rebuild_ms:.0f} ms, then from the totals {answer_ms:.0f} ms")

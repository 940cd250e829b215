"""Rebuild a night's products from the archive (frames index + JPEGs).

The frames of the night (asked of the capture service, which owns the
frames index: night frames only, by time taken) are read and decoded by a
small thread pool a few frames ahead of the builder (memory stays bounded
by that window), each decoded once for every product, in order. Bad frames
are skipped and counted, as in the live service.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TextIO

from zenith.bus.client import BusClient
from zenith.contracts import frames
from zenith.contracts.frames import FrameDoc
from zenith.contracts.products import work_prefix
from zenith.ids import new_id
from zenith.storage.blob import BlobStore
from zenith_products import night_render
from zenith_products.artifact import Artifact
from zenith_products.config import NightConfig
from zenith_products.decode import BufferPool, Decoded, load_frame
from zenith_products.errors import BadFrame
from zenith_products.longterm import LongTerm
from zenith_products.night import KINDS, NightBuilder
from zenith_products.work import WorkDir

log = logging.getLogger("zenith.products.render")


@dataclass
class RenderResult:
    artifacts: list[Artifact] = field(default_factory=list)
    frames: int = 0  # frames in the archive for the night
    applied: int = 0
    bad: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


class Progress:
    """A progress bar on a terminal; a line every 10 % elsewhere."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(1, total)
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.done = 0
        self._last_decile = -1
        self._drawn = 0.0

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        elapsed = max(1e-6, now - self.started)
        rate = done / elapsed
        if self.tty:
            if now - self._drawn < 0.1 and done < self.total:
                return
            self._drawn = now
            cols = shutil.get_terminal_size((80, 20)).columns
            width = max(10, min(40, cols - len(self.label) - 40))
            filled = int(width * done / self.total)
            eta = (self.total - done) / rate if rate > 0 else 0
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                              f"{done}/{self.total} {rate:5.1f} fps ETA {eta:4.0f}s")
            self.stream.flush()
        else:
            decile = done * 10 // self.total
            if decile != self._last_decile:
                self._last_decile = decile
                self.stream.write(f"{self.label}: {done}/{self.total} frames "
                                  f"({rate:.1f} fps)\n")
                self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _load(blobs: BlobStore, key: str, buffers: BufferPool) -> Decoded | BadFrame:
    try:
        return load_frame(blobs, key, buffers)
    except BadFrame as exc:
        return exc


def decode_ahead(blobs: BlobStore, keys: Iterable[str], workers: int = 2,
                 depth: int | None = None) -> Iterator[Decoded | BadFrame]:
    """Decoded frames in the order of ``keys``, read ``depth`` frames ahead.

    At most ``depth`` frames are decoded and not yet taken, plus the one the
    caller holds: their pixels live in ``depth + 1`` reused buffers, which
    the caller hands back with :meth:`Decoded.release` (a frame it keeps
    simply costs a new buffer). With one worker the frames are decoded in
    the caller's thread, one at a time."""
    buffers = BufferPool(size=(depth or 2 * workers) + 2)
    if workers <= 1:
        for key in keys:
            yield _load(blobs, key, buffers)
        return
    depth = depth or 2 * workers
    it = iter(keys)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decode") as pool:
        window: deque[Future[Decoded | BadFrame]] = deque()
        for key in it:
            window.append(pool.submit(_load, blobs, key, buffers))
            if len(window) >= depth:
                break
        while window:
            result = window.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                window.append(pool.submit(_load, blobs, nxt, buffers))
            yield result


async def night_frames(bus: BusClient, camera: str, night: str,
                       timeout: float | None = None) -> list[FrameDoc]:
    """The night's frames, night frames only, by time taken: asked of the
    capture service, which owns the frames index."""
    found: list[FrameDoc] = []
    after = None
    while True:
        page = await bus.request(frames.LIST, frames.FrameList(night=night, night_only=True,
                                                                after=after),
                                 timeout=timeout, camera=camera)
        found += page.frames
        if not page.more or not page.frames:
            return found
        after = page.frames[-1].taken_at


def render_docs(camera: str, night: str, docs: Sequence[FrameDoc], config: NightConfig,
                blobs: BlobStore, *, kinds: frozenset[str] = KINDS, longterm: bool = True,
                workers: int = 2, progress: Progress | None = None) -> RenderResult:
    """Build every product of a night from its frame documents (blocking)."""
    started = time.perf_counter()
    result = RenderResult(frames=len(docs))
    work = WorkDir(blobs, f"{work_prefix(camera, night)}-render-{new_id()}", "r")
    builder = NightBuilder(camera, night, config, work, blobs, kinds=kinds)
    try:
        for index, (doc, item) in enumerate(zip(docs, decode_ahead(
                blobs, (d.key for d in docs), workers), strict=True)):
            frame_id = doc.id
            if isinstance(item, BadFrame):
                result.bad[item.reason] += 1
                builder.bad[item.reason] += 1
                log.warning("frame %s skipped: %s", frame_id, item.message)
            elif builder.has(frame_id):
                result.bad["duplicate"] += 1
            else:
                builder.add(frame_id, doc.key, doc.taken_at.timestamp(), item)
                result.applied += 1
            if isinstance(item, Decoded):
                item.release()
            if progress is not None:
                progress.update(index + 1)
        snap = builder.snapshot()
        result.artifacts = night_render.render(snap, final=True)
        if longterm and kinds == KINDS and builder.frames:
            result.artifacts += LongTerm(camera, config, blobs).update(snap)
    finally:
        builder.close()
        work.remove_all()
        if progress is not None:
            progress.close()
    result.seconds = time.perf_counter() - started
    return result

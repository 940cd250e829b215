"""Rebuild a night's products from the archive (frames index + JPEGs).

The frames of the night (``frames`` collection, ``is_night`` true, by
``taken_at``) are read and decoded by a small thread pool a few frames
ahead of the builder (memory stays bounded by that window), each decoded
once for every product, in order. Bad frames are skipped and counted, as
in the live service.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from zenith.ids import new_id
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import Doc, MetadataStore
from zenith.timefmt import from_iso
from zenith_products import layout
from zenith_products.artifact import Artifact
from zenith_products.config import NightConfig
from zenith_products.decode import Decoded, load_frame
from zenith_products.errors import BadFrame
from zenith_products.longterm import LongTerm
from zenith_products.night import KINDS, NightBuilder
from zenith_products.work import WorkDir

log = logging.getLogger("zenith.products.render")
FRAMES = "frames"


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


def _load(blobs: BlobStore, key: str) -> Decoded | BadFrame:
    try:
        return load_frame(blobs, key)
    except BadFrame as exc:
        return exc


def decode_ahead(blobs: BlobStore, keys: Iterable[str], workers: int = 2,
                 depth: int | None = None) -> Iterator[Decoded | BadFrame]:
    """Decoded frames in the order of ``keys``, read ``depth`` frames ahead."""
    depth = depth or 2 * workers + 1
    it = iter(keys)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decode") as pool:
        window: deque[Future[Decoded | BadFrame]] = deque()
        for key in it:
            window.append(pool.submit(_load, blobs, key))
            if len(window) >= depth:
                break
        while window:
            result = window.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                window.append(pool.submit(_load, blobs, nxt))
            yield result


def _taken_at(doc: Doc) -> float:
    value = doc.get("taken_at")
    if isinstance(value, datetime):
        return value.timestamp()
    return from_iso(str(value)).timestamp()


async def night_frames(meta: MetadataStore, camera: str, night: str) -> list[Doc]:
    """The night's frames in the archive, night frames only, by time taken."""
    docs = await meta.find(FRAMES, {"camera": camera, "night": night}, sort=[("taken_at", 1)])
    return [d for d in docs if d.get("is_night", True) and isinstance(d.get("key"), str)]


def render_docs(camera: str, night: str, docs: list[Doc], config: NightConfig,
                blobs: BlobStore, *, kinds: frozenset[str] = KINDS, longterm: bool = True,
                workers: int = 2, progress: Progress | None = None) -> RenderResult:
    """Build every product of a night from its frame documents (blocking)."""
    started = time.perf_counter()
    result = RenderResult(frames=len(docs))
    work = WorkDir(blobs, f"{layout.work_prefix(camera, night)}-render-{new_id()}", "r")
    builder = NightBuilder(camera, night, config, work, blobs, kinds=kinds)
    try:
        for index, (doc, item) in enumerate(zip(docs, decode_ahead(
                blobs, (d["key"] for d in docs), workers), strict=True)):
            frame_id = str(doc.get("frame_id") or doc.get("_id"))
            if isinstance(item, BadFrame):
                result.bad[item.reason] += 1
                builder.bad[item.reason] += 1
                log.warning("frame %s skipped: %s", frame_id, item.message)
            elif builder.has(frame_id):
                result.bad["duplicate"] += 1
            else:
                builder.add(frame_id, doc["key"], _taken_at(doc), item)
                result.applied += 1
            if progress is not None:
                progress.update(index + 1)
        arts: list[Any] = builder.render(final=True)
        arts.append(builder.render_mini(final=True))
        result.artifacts = [a for a in arts if a is not None]
        if longterm and kinds == KINDS and builder.frames:
            result.artifacts += LongTerm(camera, config, blobs).update(
                night, builder.keogram_data, builder.sample_paths())
    finally:
        builder.close()
        work.remove_all()
        if progress is not None:
            progress.close()
    result.seconds = time.perf_counter() - started
    return result

"""One camera's night, built incrementally from each decoded frame.

Every frame is decoded once (by the caller) and then feeds, in order: the
keogram column, the startrails stack and statistics, the timelapse encoder,
the mini-timelapse ring and, now and then, a small sample for the monthly
and yearly timelapses. Memory stays bounded: keogram columns are sealed to
the work folder with each timelapse segment, the encoder holds one segment,
the mini ring holds N small frames.

:meth:`NightBuilder.checkpoint` writes what is not yet on disk and returns
the name of a state file that describes the whole night so far;
:meth:`NightBuilder.restore` rebuilds the builder from it (re-decoding only
the frames of the unfinished segment and of the mini ring).

Products are drawn from a :meth:`NightBuilder.snapshot`: the builder seals
what is open (in the caller's thread), then hands over an immutable
:class:`~zenith_products.snapshot.NightSnapshot` that the renderers of
:mod:`zenith_products.night_render` read, from any thread, while the
builder goes on.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter, deque
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from zenith.contracts.products import NIGHT_KINDS
from zenith.storage.blob import BlobStore
from zenith_products.config import NightConfig
from zenith_products.decode import Decoded
from zenith_products.keogram import ColumnChunk, ColumnSampler
from zenith_products.snapshot import NightSnapshot, Sample
from zenith_products.startrails import StarTrails, stack_from_bytes, stack_to_bytes
from zenith_products.thumbs import jpeg, letterbox, thumbnail
from zenith_products.video import SegmentEncoder, VideoParams
from zenith_products.work import WorkDir

if TYPE_CHECKING:
    import av

log = logging.getLogger("zenith.products.night")
STATE_VERSION = 1

Loader = Callable[[str], Decoded | None]
KINDS = frozenset(NIGHT_KINDS)


class NightBuilder:
    def __init__(self, camera: str, night: str, config: NightConfig, work: WorkDir,
                 blobs: BlobStore, kinds: frozenset[str] = KINDS) -> None:
        self.camera = camera
        self.kinds = kinds
        self.night = night
        self.config = config
        self.work = work
        self.blobs = blobs
        self.frames = 0
        self.ids: set[str] = set()
        self.size: tuple[int, int] | None = None
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.bad: Counter[str] = Counter()
        self.resized = 0
        self.gen = 0
        # keogram
        self.sampler: ColumnSampler | None = None
        self.chunk = ColumnChunk()
        self.sealed_chunks: list[str] = []
        # startrails
        self.trails = StarTrails(config.threshold, config.startrails_rule)
        self.stack_name: str | None = None
        # timelapse
        self.segments: list[dict[str, Any]] = []
        self.encoder: SegmentEncoder | None = None
        self.pending_keys: list[str] = []
        # mini-timelapse ring: (frame key, small frame)
        self.mini: deque[tuple[str, av.VideoFrame]] = deque(maxlen=max(1, config.mini_frames))
        # long-term samples
        self.samples: list[dict[str, Any]] = []
        self.month_slot: int | None = None
        self.year_slot: int | None = None
        self.poster: str | None = None
        self._open_chunk_name: str | None = None
        self._state_name: str | None = None

    # -- sizes ---------------------------------------------------------
    @property
    def tl_params(self) -> VideoParams:
        assert self.size is not None
        return self.config.timelapse_params(*self.size)

    @property
    def mini_params(self) -> VideoParams:
        assert self.size is not None
        return self.config.mini_params(*self.size)

    def _init_size(self, width: int, height: int) -> None:
        self.size = (width, height)
        self.sampler = ColumnSampler(width, height, self.config.angle)

    # -- frames --------------------------------------------------------
    def has(self, frame_id: str) -> bool:
        return frame_id in self.ids

    def add(self, frame_id: str, key: str, taken_at: float, decoded: Decoded) -> None:
        """Apply one decoded frame to every product."""
        if self.size is None:
            self._init_size(*decoded.size)
        elif decoded.size != self.size:
            decoded = decoded.resized(*self.size)
            self.resized += 1
        assert self.sampler is not None
        if "keogram" in self.kinds:
            self.chunk.add(self.sampler.sample(decoded.bgr), taken_at)
        if "startrails" in self.kinds:
            self.trails.add(decoded.bgr, decoded.means)
        if "timelapse" in self.kinds:
            self._encode(key, decoded)
            self._sample(taken_at, decoded)
        if self.mini_on:
            mp = self.mini_params
            self.mini.append((key, decoded.video_frame(mp.width, mp.height)))
        if self.poster is None and "timelapse" in self.kinds:
            self.poster = "poster.jpg"
            self.work.write(self.poster, jpeg(thumbnail(decoded.bgr, self.config.thumb_width),
                                              self.config.jpeg_quality))
        self.ids.add(frame_id)
        self.frames += 1
        self.first_at = taken_at if self.first_at is None else min(self.first_at, taken_at)
        self.last_at = taken_at if self.last_at is None else max(self.last_at, taken_at)

    @property
    def mini_on(self) -> bool:
        return bool(self.config.mini_frames) and "mini-timelapse" in self.kinds

    def _encode(self, key: str, decoded: Decoded) -> None:
        params = self.tl_params
        if self.encoder is None:
            self.encoder = SegmentEncoder(self.work.temp_path(".mp4"), params)
        self.encoder.add(decoded.video_frame(params.width, params.height))
        self.pending_keys.append(key)
        if self.encoder.frames >= self.config.segment_frames:
            self.seal()

    def _sample(self, taken_at: float, decoded: Decoded) -> None:
        month_slot = math.floor(taken_at / self.config.monthly_interval_s)
        year_slot = math.floor(taken_at / self.config.yearly_interval_s)
        if month_slot == self.month_slot:
            return
        yearly = year_slot != self.year_slot
        self.month_slot = month_slot
        if yearly:
            self.year_slot = year_slot
        name = f"sample-{month_slot}.jpg"
        lt = self.config.longterm_params()
        canvas = letterbox(decoded.bgr, lt.width, lt.height)
        self.work.write(name, jpeg(canvas, self.config.jpeg_quality))
        self.samples.append({"name": name, "yearly": yearly, "at": taken_at})

    def seal(self) -> None:
        """Close the open timelapse segment and keogram chunk into files."""
        self.seal_video()
        self.seal_columns()

    def seal_video(self) -> None:
        if self.encoder is not None:
            count = self.encoder.close()
            name = self.work.name(f"seg-{len(self.segments):05d}", ".mp4")
            self.work.put_file(name, self.encoder.path)
            self.segments.append({"name": name, "frames": count})
            self.encoder = None
            self.pending_keys = []

    def seal_columns(self) -> None:
        if len(self.chunk):
            name = self.work.name(f"keo-{len(self.sealed_chunks):05d}", ".npz")
            self.work.write(name, self.chunk.to_bytes())
            self.sealed_chunks.append(name)
            self.chunk = ColumnChunk()

    def close(self) -> None:
        """Drop the open encoder (its frames are re-encoded on resume)."""
        if self.encoder is not None:
            self.encoder.abort()
            self.encoder = None

    # -- checkpoints ---------------------------------------------------
    def checkpoint(self, extra: dict[str, Any] | None = None) -> str:
        """Write everything a restart needs; returns the state file's name."""
        open_chunk = None
        if len(self.chunk):
            open_chunk = self.work.name(f"open-{self.gen:06d}", ".npz")
            self.work.write(open_chunk, self.chunk.to_bytes())
        if self.trails.dirty and self.trails.stack is not None:
            self.stack_name = self.work.name(f"stack-{self.gen:06d}", ".npy")
            self.work.write(self.stack_name, stack_to_bytes(self.trails.stack))
            self.trails.dirty = False
        state = self.state(open_chunk)
        if extra:
            state["extra"] = extra
        name = self.work.name(f"state-{self.gen:06d}", ".json")
        self.work.write(name, json.dumps(state, separators=(",", ":")).encode())
        self.gen += 1
        self._open_chunk_name = open_chunk
        self._state_name = name
        return name

    def state(self, open_chunk: str | None) -> dict[str, Any]:
        return {
            "version": STATE_VERSION, "camera": self.camera, "night": self.night,
            "config": self.config.to_dict(), "gen": self.gen, "frames": self.frames,
            "size": list(self.size) if self.size else None,
            "first_at": self.first_at, "last_at": self.last_at,
            "bad": dict(self.bad), "resized": self.resized, "ids": sorted(self.ids),
            "keogram": {"sealed": self.sealed_chunks, "open": open_chunk},
            "startrails": {**self.trails.counters(), "stack": self.stack_name},
            "timelapse": {"segments": self.segments, "pending": self.pending_keys},
            "mini": [key for key, _ in self.mini] if self.mini_on else [],
            "samples": self.samples, "month_slot": self.month_slot,
            "year_slot": self.year_slot, "poster": self.poster,
        }

    def references(self) -> set[str]:
        """Work files the current state needs."""
        names = set(self.sealed_chunks) | {s["name"] for s in self.segments}
        names |= {s["name"] for s in self.samples}
        for name in (self.stack_name, self.poster, self._open_chunk_name, self._state_name):
            if name:
                names.add(name)
        return names

    @classmethod
    def restore(cls, state: dict[str, Any], work: WorkDir, blobs: BlobStore,
                load: Loader) -> NightBuilder:
        """Rebuild from a state file's content; ``load`` reads and decodes a
        frame by key (None when it is gone) for the unfinished segment and
        the mini ring."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown checkpoint version {state.get('version')}")
        b = cls(state["camera"], state["night"], NightConfig.from_dict(state["config"]), work,
                blobs)
        b.gen = int(state["gen"]) + 1
        b.frames = int(state["frames"])
        if state["size"]:
            b._init_size(*state["size"])
        b.first_at, b.last_at = state["first_at"], state["last_at"]
        b.bad = Counter(state["bad"])
        b.resized = int(state["resized"])
        b.ids = set(state["ids"])
        b.sealed_chunks = list(state["keogram"]["sealed"])
        if state["keogram"]["open"]:
            b.chunk = ColumnChunk.from_bytes(work.read(state["keogram"]["open"]))
            b._open_chunk_name = state["keogram"]["open"]
        trails = state["startrails"]
        stack = stack_from_bytes(work.read(trails["stack"])) if trails["stack"] else None
        b.trails = StarTrails.restore(trails, stack)
        b.stack_name = trails["stack"]
        b.segments = list(state["timelapse"]["segments"])
        b.samples = list(state["samples"])
        b.month_slot, b.year_slot = state["month_slot"], state["year_slot"]
        b.poster = state["poster"]
        b._replay(state["timelapse"]["pending"], state["mini"], load)
        return b

    def _replay(self, pending: list[str], mini_keys: list[str], load: Loader) -> None:
        """Re-decode the unfinished segment's frames (into a new encoder) and
        the mini ring's, one at a time."""
        wanted = set(mini_keys) if self.mini_on and self.size else set()
        small: dict[str, av.VideoFrame] = {}

        def get(key: str) -> Decoded | None:
            decoded = load(key)
            if decoded is not None and self.size and decoded.size != self.size:
                decoded = decoded.resized(*self.size)
            if decoded is not None and key in wanted:
                mp = self.mini_params
                small[key] = decoded.video_frame(mp.width, mp.height)
            return decoded

        for key in pending:
            decoded = get(key)
            if decoded is None:
                log.warning("%s %s: frame %s is gone; the timelapse skips it",
                            self.camera, self.night, key)
                continue
            self._encode(key, decoded)
            decoded.release()
        for key in mini_keys:
            if key in wanted and key not in small:
                decoded = get(key)
                if decoded is not None:
                    decoded.release()
        for key in mini_keys:
            if key in small:
                self.mini.append((key, small[key]))

    # -- snapshots for the renderers (night_render) ------------------------
    def snapshot(self, kinds: Collection[str] | None = None) -> NightSnapshot:
        """Seal what the requested kinds (default: all of this night's) need
        and return the night as it is now, immutable: the startrails stack
        is a read-only copy, the mini ring a tuple of its frames."""
        wanted = frozenset(self.kinds if kinds is None else kinds) & self.kinds
        if "timelapse" in wanted:
            self.seal_video()
        if "keogram" in wanted:
            self.seal_columns()
        stack = None
        if "startrails" in wanted and self.trails.stack is not None:
            stack = self.trails.stack.copy()
            stack.flags.writeable = False
        mini = "mini-timelapse" in wanted and self.mini_on and bool(self.mini)
        return NightSnapshot(
            camera=self.camera, night=self.night, config=self.config, kinds=wanted,
            frames=self.frames, work=self.work, blobs=self.blobs,
            column_length=self.sampler.length if self.sampler else 0,
            chunks=tuple(self.sealed_chunks), stack=stack, trails_used=self.trails.used,
            trails_stats=self.trails.stats(),
            segments=tuple(s["name"] for s in self.segments),
            timelapse=self.tl_params if self.size else None, poster=self.poster,
            mini=tuple(f for _, f in self.mini) if mini else (),
            mini_params=self.mini_params if mini else None,
            samples=tuple(Sample(s["name"], bool(s["yearly"]), float(s["at"]))
                          for s in self.samples),
            summary=self.summary())

    def summary(self) -> dict[str, Any]:
        return {"night_frames": self.frames, "first_at": self.first_at,
                "last_at": self.last_at, "resized": self.resized, "bad": dict(self.bad)}

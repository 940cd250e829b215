"""A night's state as the renderers see it: immutable, handed over by value.

:meth:`NightBuilder.snapshot <zenith_products.night.NightBuilder.snapshot>`
makes one after sealing the open keogram chunk and timelapse segment; the
renderers (:mod:`zenith_products.night_render`, :mod:`zenith_products.longterm`)
read it and return artifacts, and never touch the builder. Files it names
in the work folder are sealed: the builder only adds new ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zenith.storage.blob import BlobStore
from zenith_products.config import NightConfig
from zenith_products.keogram import chunk_arrays
from zenith_products.video import VideoParams
from zenith_products.work import WorkDir

if TYPE_CHECKING:
    import av


@dataclass(frozen=True)
class Sample:
    """A small frame kept for the monthly (and maybe yearly) timelapse."""

    name: str  # in the work folder
    yearly: bool
    at: float  # epoch seconds


@dataclass(frozen=True)
class NightSnapshot:
    camera: str
    night: str
    config: NightConfig
    kinds: frozenset[str]  # the kinds this snapshot was taken for
    frames: int  # frames applied so far (the products' version)
    work: WorkDir
    blobs: BlobStore
    column_length: int  # keogram: pixels per column
    chunks: tuple[str, ...]  # keogram: sealed column chunks, in order
    stack: np.ndarray | None  # startrails: read-only copy of the stack
    trails_used: int
    trails_stats: Mapping[str, Any]
    segments: tuple[str, ...]  # timelapse: sealed segments, in order
    timelapse: VideoParams | None
    poster: str | None  # timelapse thumbnail (first frame), in the work folder
    mini: tuple[av.VideoFrame, ...]  # mini-timelapse ring, oldest first
    mini_params: VideoParams | None
    samples: tuple[Sample, ...]
    summary: Mapping[str, Any]

    def column_chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The keogram's (columns (n, length, 3), times (n,)), chunk by chunk."""
        for name in self.chunks:
            yield chunk_arrays(self.work.read(name))

    def sample_paths(self) -> list[tuple[Path, bool, float]]:
        return [(self.work.path(s.name), s.yearly, s.at) for s in self.samples]

"""Keogram: one column per frame, along an axis through the image centre.

The axis is vertical by default (the centre column, top to bottom); a
non-zero ``angle`` turns it clockwise, and the column is then sampled
bilinearly along that line, from the end that was "up" to the other.
Columns are kept with the frame times; :mod:`zenith_products.keogram_render`
draws the image with its labels.
"""

from __future__ import annotations

import io
import math

import cv2
import numpy as np


class ColumnSampler:
    """Takes a frame's keogram column; built once per frame size and angle."""

    def __init__(self, width: int, height: int, angle_deg: float = 0.0) -> None:
        self.width = width
        self.height = height
        self.angle = angle_deg % 360.0
        self.cx = width // 2
        self.cy = (height - 1) / 2.0
        self._maps: tuple[np.ndarray, np.ndarray] | None = None
        if self.angle == 0.0:
            self.length = height
        else:
            self._maps = self._line_maps()
            self.length = int(self._maps[0].shape[0])

    def _line_maps(self) -> tuple[np.ndarray, np.ndarray]:
        theta = math.radians(self.angle)
        ux, uy = math.sin(theta), -math.cos(theta)  # towards the column's top end
        limits = []
        if abs(ux) > 1e-9:
            limits.append(min(self.cx, self.width - 1 - self.cx) / abs(ux))
        if abs(uy) > 1e-9:
            limits.append(min(self.cy, self.height - 1 - self.cy) / abs(uy))
        half = min(limits)
        length = max(1, round(2 * half) + 1)
        t = (length - 1) / 2.0 - np.arange(length, dtype=np.float64)
        map_x = (self.cx + ux * t).astype(np.float32).reshape(length, 1)
        map_y = (self.cy + uy * t).astype(np.float32).reshape(length, 1)
        return map_x, map_y

    def sample(self, bgr: np.ndarray) -> np.ndarray:
        """The column as an array of shape (length, 3), uint8."""
        if self._maps is None:
            return np.ascontiguousarray(bgr[:, self.cx])
        column = cv2.remap(bgr, self._maps[0], self._maps[1], cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        return column.reshape(self.length, 3)


class ColumnChunk:
    """Columns and their times (epoch seconds), appended in arrival order."""

    def __init__(self) -> None:
        self.columns: list[np.ndarray] = []
        self.times: list[float] = []

    def __len__(self) -> int:
        return len(self.columns)

    def add(self, column: np.ndarray, time: float) -> None:
        self.columns.append(column)
        self.times.append(time)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        cols, times = self.arrays()
        np.savez(buf, columns=cols, times=times)
        return buf.getvalue()

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(columns (n, length, 3), times (n,)) of this chunk."""
        if not self.columns:
            return np.zeros((0, 0, 3), np.uint8), np.zeros(0, np.float64)
        return np.stack(self.columns), np.asarray(self.times, dtype=np.float64)

    @classmethod
    def from_bytes(cls, data: bytes) -> ColumnChunk:
        chunk = cls()
        cols, times = chunk_arrays(data)
        chunk.columns = list(cols)
        chunk.times = [float(t) for t in times]
        return chunk


def chunk_arrays(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A saved chunk's (columns (n, length, 3), times (n,))."""
    with np.load(io.BytesIO(data)) as arrays:
        return arrays["columns"], arrays["times"]


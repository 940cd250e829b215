"""Startrails: the per-pixel maximum of the frames darker than a threshold.

As in Allsky: a frame whose mean brightness (0..1, of its luma) is below
``threshold`` is stacked, any other frame is skipped (twilight, moon,
clouds lit by a town); the brightness of every frame is summarised as
min/max/mean.
"""

from __future__ import annotations

import io
from typing import Any

import cv2
import numpy as np


class StarTrails:
    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.stack: np.ndarray | None = None
        self.used = 0
        self.skipped = 0
        self.b_min: float | None = None
        self.b_max: float | None = None
        self.b_sum = 0.0
        self.dirty = False  # the stack changed since it was last saved

    def add(self, bgr: np.ndarray, mean: float) -> bool:
        """Account for one frame; True when it went into the stack."""
        self.b_min = mean if self.b_min is None else min(self.b_min, mean)
        self.b_max = mean if self.b_max is None else max(self.b_max, mean)
        self.b_sum += mean
        if mean >= self.threshold:
            self.skipped += 1
            return False
        if self.stack is None:
            self.stack = bgr.copy()
        else:
            cv2.max(self.stack, bgr, dst=self.stack)
        self.used += 1
        self.dirty = True
        return True

    @property
    def frames(self) -> int:
        return self.used + self.skipped

    def stats(self) -> dict[str, Any]:
        n = self.frames
        return {
            "threshold": self.threshold,
            "used": self.used,
            "skipped": self.skipped,
            "brightness": {
                "min": round(self.b_min, 6) if self.b_min is not None else None,
                "max": round(self.b_max, 6) if self.b_max is not None else None,
                "mean": round(self.b_sum / n, 6) if n else None,
            },
        }

    def counters(self) -> dict[str, Any]:
        """What a checkpoint keeps besides the stack itself."""
        return {"threshold": self.threshold, "used": self.used, "skipped": self.skipped,
                "b_min": self.b_min, "b_max": self.b_max, "b_sum": self.b_sum}

    @classmethod
    def restore(cls, counters: dict[str, Any], stack: np.ndarray | None) -> StarTrails:
        trails = cls(float(counters["threshold"]))
        trails.used = int(counters["used"])
        trails.skipped = int(counters["skipped"])
        trails.b_min = counters["b_min"]
        trails.b_max = counters["b_max"]
        trails.b_sum = float(counters["b_sum"])
        trails.stack = stack
        return trails


def stack_to_bytes(stack: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, stack, allow_pickle=False)
    return buf.getvalue()


def stack_from_bytes(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)

"""Startrails: the per-pixel maximum of the night's dark frames.

Which frames are dark is a rule on each frame's channel means (0..1):

- ``brightest`` (the default, Allsky's rule): the mean of the brightest
  channel is at most ``threshold``;
- ``luma``: the mean luma (BT.601) is below ``threshold`` (Zenith's rule
  before it followed Allsky).

Any other frame is skipped (twilight, moon, clouds lit by a town); the
brightness of every frame, measured by the rule in use, is summarised as
min/max/mean.
"""

from __future__ import annotations

import io
from typing import Any, Literal

import numpy as np

Rule = Literal["brightest", "luma"]
RULES: tuple[Rule, ...] = ("brightest", "luma")
LUMA = (0.114, 0.587, 0.299)  # BT.601 weights of B, G, R


def brightness(means: tuple[float, float, float], rule: Rule) -> float:
    """A frame's brightness (0..1) from its B, G, R means, as ``rule`` measures it
    (to 9 decimals, so a grey frame's luma is its level exactly)."""
    if rule == "luma":
        return round(sum(w * m for w, m in zip(LUMA, means, strict=True)), 9)
    return round(max(means), 9)


def is_dark(value: float, threshold: float, rule: Rule) -> bool:
    """Whether a frame of brightness ``value`` goes into the stack."""
    return value <= threshold if rule == "brightest" else value < threshold


class StarTrails:
    def __init__(self, threshold: float, rule: Rule = "brightest") -> None:
        if rule not in RULES:
            raise ValueError(f"unknown startrails rule {rule!r} (one of {', '.join(RULES)})")
        self.threshold = threshold
        self.rule: Rule = rule
        self.stack: np.ndarray | None = None
        self.used = 0
        self.skipped = 0
        self.b_min: float | None = None
        self.b_max: float | None = None
        self.b_sum = 0.0
        self.dirty = False  # the stack changed since it was last saved

    def add(self, bgr: np.ndarray, means: tuple[float, float, float]) -> bool:
        """Account for one frame (its pixels and B, G, R means); True when it
        went into the stack."""
        mean = brightness(means, self.rule)
        self.b_min = mean if self.b_min is None else min(self.b_min, mean)
        self.b_max = mean if self.b_max is None else max(self.b_max, mean)
        self.b_sum += mean
        if not is_dark(mean, self.threshold, self.rule):
            self.skipped += 1
            return False
        if self.stack is None:
            self.stack = bgr.copy()
        else:
            np.maximum(self.stack, bgr, out=self.stack)
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
            "rule": self.rule,
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
        return {"threshold": self.threshold, "rule": self.rule, "used": self.used,
                "skipped": self.skipped, "b_min": self.b_min, "b_max": self.b_max,
                "b_sum": self.b_sum}

    @classmethod
    def restore(cls, counters: dict[str, Any], stack: np.ndarray | None) -> StarTrails:
        # a checkpoint from before the rule was a setting used luma
        trails = cls(float(counters["threshold"]), counters.get("rule", "luma"))
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

"""Focus curves: which metric to trust, and where its best point is.

HFR (half-flux radius) is the better metric when most frames show enough
stars (the frames far from focus at the ends of a sweep may show too few:
they are left out of the fit); lower is sharper. Otherwise the variance of
the Laplacian of the whole frame is used; higher is sharper. A parabola is fitted to the samples
around the best one and its vertex, clamped to the sweep, is the focus.
When the fitted curve opens the wrong way (no minimum for HFR, no maximum
for sharpness) the best sample itself is taken.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Method = Literal["hfr", "laplacian"]
HALF_WINDOW = 3  # samples each side of the best that the parabola sees


@dataclass(frozen=True)
class Sample:
    position: int
    hfr: float | None
    stars: int | None
    sharpness: float | None

    def has_hfr(self, min_stars: int) -> bool:
        return (self.hfr is not None and math.isfinite(self.hfr) and self.hfr > 0
                and self.stars is not None and self.stars >= min_stars)

    def has_sharpness(self) -> bool:
        return self.sharpness is not None and math.isfinite(self.sharpness)


@dataclass(frozen=True)
class Fit:
    best_position: int
    best_sample: int
    coefficients: tuple[float, float, float] | None  # a, b, c of score(position)
    vertex_used: bool


MIN_HFR_SAMPLES = 3


def choose_method(samples: Sequence[Sample], min_stars: int) -> Method:
    """HFR when at least half the frames (and three) have ``min_stars`` stars,
    else sharpness; ValueError if neither."""
    with_stars = sum(1 for s in samples if s.has_hfr(min_stars))
    if with_stars >= max(MIN_HFR_SAMPLES, (len(samples) + 1) // 2):
        return "hfr"
    if samples and all(s.has_sharpness() for s in samples):
        return "laplacian"
    raise ValueError("the frames carried neither enough stars for HFR nor a sharpness value")


def usable(samples: Sequence[Sample], method: Method, min_stars: int) -> list[Sample]:
    """The samples that carry the chosen metric (all of them for sharpness)."""
    if method == "hfr":
        return [s for s in samples if s.has_hfr(min_stars)]
    return [s for s in samples if s.has_sharpness()]


def score(sample: Sample, method: Method) -> float:
    value = sample.hfr if method == "hfr" else sample.sharpness
    if value is None:
        raise ValueError(f"sample at {sample.position} has no {method} value")
    return float(value)


def best_focus(positions: Sequence[int], scores: Sequence[float], lower_is_better: bool,
               half_window: int = HALF_WINDOW, squared: bool = False) -> Fit:
    """Vertex of a parabola through the samples around the best one.

    The window is symmetric about the best sample (as many samples each side),
    so a steeper side does not pull the vertex. With ``squared`` the parabola
    is fitted to score² — right for HFR, whose defocus curve is a hyperbola
    (HFR² = r₀² + k²·(p - focus)² is exactly a parabola in p)."""
    if len(positions) != len(scores) or len(positions) < 3:
        raise ValueError("need at least three samples, one score each")
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    xs = np.array([positions[i] for i in order], dtype=float)
    ys = np.array([scores[i] for i in order], dtype=float)
    best = int(np.argmin(ys) if lower_is_better else np.argmax(ys))
    best_position = int(xs[best])
    k = min(half_window, best, len(xs) - 1 - best)
    if k >= 1:
        lo, hi = best - k, best + k + 1
    else:  # best at an end of the sweep: the three samples nearest it
        lo = max(0, min(best - 1, len(xs) - 3))
        hi = lo + 3
    x, y = xs[lo:hi], ys[lo:hi]
    if squared:
        y = y * y
    centre = xs[best]
    scale = float(np.max(np.abs(x - centre))) or 1.0
    u = (x - centre) / scale
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a_u, b_u, c_u = (float(v) for v in np.polyfit(u, y, 2))
    except (np.linalg.LinAlgError, ValueError):
        return Fit(best_position, best_position, None, False)
    # back from u = (p - centre) / scale to the position itself
    a = a_u / scale**2
    b = b_u / scale - 2 * a_u * centre / scale**2
    c = a_u * centre**2 / scale**2 - b_u * centre / scale + c_u
    coefficients = (a, b, c)
    opens_right_way = a_u > 0 if lower_is_better else a_u < 0
    if not opens_right_way or not all(math.isfinite(v) for v in (a_u, b_u)) \
            or abs(a_u) < 1e-12 * max(1.0, abs(c_u)):
        return Fit(best_position, best_position, coefficients, False)
    vertex = centre + (-b_u / (2 * a_u)) * scale
    vertex = min(max(vertex, xs[0]), xs[-1])
    return Fit(round(float(vertex)), best_position, coefficients, True)

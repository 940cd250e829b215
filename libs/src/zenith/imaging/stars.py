"""Find stars and measure how sharp they are (half-flux radius).

:func:`detect_stars` works on a linear grey frame (``float32`` 0..1):

1. The background is modelled smoothly: the frame is averaged in blocks of
   ``cell`` pixels, a 5x5 median over blocks removes stars, and the result
   is smoothed and scaled back up. Its noise is the robust (MAD) spread of
   the residual.
2. The residual is smoothed with a 1-pixel Gaussian; local maxima above
   ``threshold_sigma`` times that noise are candidates.
3. Each candidate gets a centroid and a true half-flux radius (the radius
   holding half of its background-subtracted flux, interpolated between
   pixels). Single hot pixels (nearly all light in one pixel) are dropped;
   saturated stars are kept but marked, and left out of :func:`median_hfr`.

For a Gaussian star of width sigma the HFR is 1.177 sigma; for a defocused
disc of radius r it is r / sqrt(2). Autofocus minimises the median HFR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from zenith.imaging.robust import mad_sigma, median


@dataclass(frozen=True)
class Star:
    x: float
    y: float
    flux: float
    peak: float
    hfr: float
    snr: float
    saturated: bool


def mask_cover(mask: np.ndarray, cell: int = 32) -> np.ndarray:
    """The share of each ``cell``-pixel block inside ``mask`` (what
    :func:`estimate_background` divides by; keep it for many frames of one size)."""
    h, w = mask.shape
    size = (max(1, w // cell), max(1, h // cell))
    cover: np.ndarray = cv2.resize(mask.astype(np.float32), size,
                                   interpolation=cv2.INTER_AREA)
    return cover


def estimate_background(gray: np.ndarray, mask: np.ndarray | None = None,
                        cell: int = 32, *, cover: np.ndarray | None = None
                        ) -> tuple[np.ndarray, float]:
    """A smooth background model of ``gray`` and the noise (sigma) around it.

    Blocks are averaged over the pixels inside ``mask`` only, and blocks
    outside it are filled from their neighbours, so the sky's edge (bright
    near the horizon, black beyond) does not leak into the model. ``cover``
    is :func:`mask_cover` of ``mask`` when the caller kept it."""
    h, w = gray.shape
    size = (max(1, w // cell), max(1, h // cell))
    if mask is None:
        small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    else:
        # the frame times its mask is what np.where(mask, gray, 0) gives, in a third
        # of its time (a frame's values are finite)
        total = cv2.resize((gray * mask).astype(np.float32, copy=False), size,
                           interpolation=cv2.INTER_AREA)
        if cover is None:
            cover = mask_cover(mask, cell)
        small = total / np.maximum(cover, 1e-6)
        empty = cover < 0.25
        if empty.all():
            small[:] = 0.0
        elif empty.any():
            small = cv2.inpaint(small.astype(np.float32), empty.astype(np.uint8), 2,
                                cv2.INPAINT_TELEA)
    if min(small.shape) >= 5:
        small = cv2.medianBlur(small, 5)
    elif min(small.shape) >= 3:
        small = cv2.medianBlur(small, 3)
    background = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    resid = gray - background
    sample = resid[mask] if mask is not None else resid.ravel()
    sample = sample[:: max(1, sample.size // 200000)]
    if sample.size == 0:
        return background, 0.0
    med = median(sample)
    return background, mad_sigma(sample, med)


PAD = 32  # the widest stamp radius; the residual is padded by it once


@lru_cache(maxsize=8)
def _offsets(radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                   np.ndarray, np.ndarray]:
    """Pixel offsets of a stamp, its outer ring and its inner core (and the x and y
    offsets of the core's pixels)."""
    ys, xs = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    r = np.hypot(xs, ys)
    ring = (r > radius - 2) & (r <= radius)
    core = r <= 3.0
    xs32, ys32 = xs.astype(np.float32), ys.astype(np.float32)
    return xs32, ys32, ring, core, xs32[core], ys32[core]


def half_flux_radius(values: np.ndarray, dist: np.ndarray, step: float = 0.125) -> float:
    """Radius that holds half of the (non-negative) flux, interpolated.

    The flux is binned by distance in ``step`` pixels (no sort), then the
    cumulative curve is interpolated where it crosses half the total."""
    total = float(values.sum())
    if total <= 0:
        return math.nan
    bins = (dist / step).astype(np.int64)
    cum = np.cumsum(np.bincount(bins.ravel(), weights=values.ravel()))
    i = int(np.searchsorted(cum, total / 2.0))
    prev = float(cum[i - 1]) if i > 0 else 0.0
    width = float(cum[i]) - prev
    frac = (total / 2.0 - prev) / width if width > 0 else 0.0
    return (i + frac) * step


def _measure(padded: np.ndarray, x: int, y: int, radius: int
             ) -> tuple[float, float, float, float] | None:
    """(cx, cy, flux, hfr) of the source near pixel (x, y), or None."""
    xs, ys, ring, core, core_xs, core_ys = _offsets(radius)
    px, py = x + PAD, y + PAD
    stamp = padded[py - radius:py + radius + 1, px - radius:px + radius + 1]
    local = median(stamp[ring])
    values = np.maximum(stamp - local, 0.0)
    inner = values[core]
    weight = float(inner.sum())
    if weight <= 0:
        return None
    dx = float((inner * core_xs).sum() / weight)
    dy = float((inner * core_ys).sum() / weight)
    dist = np.hypot(xs - dx, ys - dy)
    aperture = dist <= radius
    vals = values[aperture]
    flux = float(vals.sum())
    if flux <= 0:
        return None
    return x + dx, y + dy, flux, half_flux_radius(vals, dist[aperture])


def detect_stars(gray: np.ndarray, mask: np.ndarray | None = None, *,
                 threshold_sigma: float = 5.0, max_stars: int = 1500,
                 saturation: float = 0.98, cell: int = 32, max_hfr: float | None = None,
                 background: tuple[np.ndarray, float] | None = None) -> list[Star]:
    """Stars in a linear grey frame (``float32`` 0..1), brightest first.

    ``max_hfr`` drops wider sources (lumps of cloud, glare) when only
    star-like points are wanted; leave it out to measure defocused stars."""
    if gray.dtype != np.float32:
        gray = gray.astype(np.float32)
    bg, sigma = background if background is not None else estimate_background(gray, mask, cell)
    resid = gray - bg
    smooth = cv2.GaussianBlur(resid, (0, 0), 1.0)
    sample = smooth[mask] if mask is not None else smooth.ravel()
    sample = sample[:: max(1, sample.size // 200000)]
    if sample.size == 0:
        return []
    s_med = median(sample)
    s_sigma = mad_sigma(sample, s_med)
    if s_sigma <= 0:
        s_sigma = max(sigma * 0.3, 1e-6)
    thresh = s_med + threshold_sigma * s_sigma
    peaks = (smooth == cv2.dilate(smooth, np.ones((5, 5), np.uint8))) & (smooth > thresh)
    if mask is not None:
        inner = cv2.erode(mask.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
        peaks &= inner
    ys, xs = np.divmod(np.flatnonzero(peaks), peaks.shape[1])  # 2-D nonzero is far slower
    if ys.size == 0:
        return []
    strength = smooth[ys, xs]
    order = np.argsort(-strength)[: max_stars + max_stars // 2]
    stars: list[Star] = []
    taken = np.zeros(gray.shape, dtype=bool)
    padded = np.pad(resid, PAD)
    for idx in order:
        x, y = int(xs[idx]), int(ys[idx])
        if taken[y, x]:
            continue
        radius = 8
        measured = _measure(padded, x, y, radius)
        # widen the aperture for big (defocused) stars, not for faint noisy ones
        while (measured is not None and measured[3] > radius / 2.5 and radius < PAD
               and measured[2] > 15.0 * sigma * math.sqrt(math.pi) * radius):
            radius *= 2
            measured = _measure(padded, x, y, radius)
        if measured is None or not math.isfinite(measured[3]):
            continue
        cx, cy, flux, hfr = measured
        peak = float(gray[y, x])
        y0, y1, x0, x1 = max(0, y - 1), y + 2, max(0, x - 1), x + 2
        core = float(np.maximum(resid[y0:y1, x0:x1], 0).sum())
        if hfr < 0.5 or (core > 0 and float(resid[y, x]) / core > 0.6 and hfr < 1.0):
            continue  # a hot pixel or a cosmic ray, not a star
        if max_hfr is not None and hfr > max_hfr:
            continue
        noise = sigma * math.sqrt(math.pi) * max(hfr, 1.0) * 2.0
        snr = flux / noise if noise > 0 else math.inf
        r = int(max(2, min(radius, round(hfr * 2))))
        taken[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1] = True
        stars.append(Star(cx, cy, flux, peak, hfr, snr, peak >= saturation))
        if len(stars) >= max_stars:
            break
    return stars


def median_hfr(stars: list[Star], min_snr: float = 10.0, brightest: float = 0.25
               ) -> float | None:
    """Median half-flux radius of the brightest unsaturated stars (the top
    ``brightest`` fraction with at least ``min_snr``, five at least): faint
    stars are measured in a small aperture and would hide a wide defocus."""
    good = [s for s in stars if not s.saturated and s.snr >= min_snr]
    if len(good) < 3:
        good = [s for s in stars if not s.saturated]
    if not good:
        return None
    good.sort(key=lambda s: s.flux, reverse=True)
    top = good[: max(5, int(len(good) * brightest))]
    return float(np.median([s.hfr for s in top]))

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
   pixels), all candidates at once, in a wider stamp for those that look
   big and bright (:func:`_measure_candidates`). Single hot pixels (nearly
   all light in one pixel) are dropped; saturated stars are kept but marked,
   and left out of :func:`median_hfr`.

For a Gaussian star of width sigma the HFR is 1.177 sigma; for a defocused
disc of radius r it is r / sqrt(2). Autofocus minimises the median HFR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import cv2
import numpy as np

from zenith.imaging.area import downscale_area
from zenith.imaging.robust import mad_sigma, median
from zenith.imaging.skymask import SkyMask, sampled


@dataclass(frozen=True)
class Star:
    x: float
    y: float
    flux: float
    peak: float
    hfr: float
    snr: float
    saturated: bool


def estimate_background(gray: np.ndarray, mask: np.ndarray | SkyMask | None = None,
                        cell: int = 32) -> tuple[np.ndarray, float]:
    """A smooth background model of ``gray`` and the noise (sigma) around it.

    Blocks are averaged over the pixels inside ``mask`` only, and blocks
    outside it are filled from their neighbours, so the sky's edge (bright
    near the horizon, black beyond) does not leak into the model. A
    :class:`~zenith.imaging.skymask.SkyMask` (of blocks of ``cell`` px) keeps
    what is derived from the mask for the next frame."""
    h, w = gray.shape
    size = (max(1, w // cell), max(1, h // cell))
    sky = SkyMask.of(mask, cell)
    if sky is None:
        small = downscale_area(gray.astype(np.float32, copy=False), size)
    else:
        # the frame times its mask is what np.where(mask, gray, 0) gives, in a third
        # of its time (a frame's values are finite)
        total = downscale_area((gray * sky.mask).astype(np.float32, copy=False), size)
        cover = sky.cover
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
    sample = sampled(resid, sky)
    if sample.size == 0:
        return background, 0.0
    med = median(sample)
    return background, mad_sigma(sample, med)


PAD = 32  # the widest stamp radius; the residual is padded by it once
FIRST_RADIUS = 8  # every candidate's first stamp; wider for a big (defocused) star


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


class Measured(NamedTuple):
    """The measures of candidates (:func:`_measure_many`), one row each."""

    ok: np.ndarray  # bool: a source was measured
    cx: np.ndarray
    cy: np.ndarray
    flux: np.ndarray
    hfr: np.ndarray


STACK = 1 << 20  # pixels of the stamps measured at once (4 MB of float32 each array)


def _measure_many(padded: np.ndarray, xs: np.ndarray, ys: np.ndarray, radius: int
                  ) -> Measured:
    """(cx, cy, flux, hfr) of the source near each pixel (x, y), in a stamp of
    ``radius``: the stamp's outer ring gives its local level, the light above it
    in a core of 3 pixels its centroid, and its aperture (within ``radius`` of
    the centroid) its flux and half-flux radius: the flux is binned by distance
    in steps of 1/8 pixel (no sort) and the cumulative curve interpolated where
    it crosses half the total. Every candidate's stamp is measured at once, in
    stacks of :data:`STACK` pixels: a frame's 800 candidates took 45 ms one by
    one, 5 ms so."""
    side = 2 * radius + 1
    chunk = max(1, STACK // (side * side))
    if xs.size <= chunk:
        return _measure_stack(padded, xs, ys, radius)
    parts = [_measure_stack(padded, xs[i:i + chunk], ys[i:i + chunk], radius)
             for i in range(0, xs.size, chunk)]
    return Measured(*(np.concatenate(column) for column in zip(*parts, strict=True)))


def _measure_stack(padded: np.ndarray, xs: np.ndarray, ys: np.ndarray, radius: int
                   ) -> Measured:
    xs_off, ys_off, ring, core, core_xs, core_ys = _offsets(radius)
    n = xs.size
    side = 2 * radius + 1
    windows = np.lib.stride_tricks.sliding_window_view(padded, (side, side))
    stamps = windows[ys + PAD - radius, xs + PAD - radius]  # (n, side, side), a copy
    rings = stamps[:, ring]
    k = rings.shape[1] // 2
    if rings.shape[1] % 2:
        local = np.partition(rings, k, axis=1)[:, k]
    else:
        part = np.partition(rings, (k - 1, k), axis=1)
        local = (part[:, k - 1] + part[:, k]) / 2
    values = np.maximum(stamps - local.astype(np.float32)[:, None, None], np.float32(0.0))
    inner = values[:, core]
    weight = inner.sum(axis=1)
    ok = weight > 0
    safe = np.where(ok, weight, np.float32(1.0))
    dx = ((inner * core_xs).sum(axis=1) / safe).astype(np.float32)
    dy = ((inner * core_ys).sum(axis=1) / safe).astype(np.float32)
    dist = np.hypot(xs_off[None] - dx[:, None, None], ys_off[None] - dy[:, None, None])
    aperture = dist <= radius
    counts = aperture.reshape(n, -1).sum(axis=1)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    vals = values[aperture]  # every aperture's pixels, star after star
    flux = np.zeros(n, np.float64)
    has = counts > 0
    if vals.size:
        flux[has] = np.add.reduceat(vals, starts[has]).astype(np.float64)
    ok &= flux > 0
    step = 0.125
    bins = (dist[aperture] / np.float32(step)).astype(np.int64)
    width = int(radius / step) + 2
    owner = np.repeat(np.arange(n), counts)
    hist = np.bincount(owner * width + bins, weights=vals,
                       minlength=n * width).reshape(n, width)
    cum = np.cumsum(hist, axis=1)
    half = flux / 2.0
    i = (cum < half[:, None]).sum(axis=1).clip(max=width - 1)
    rows = np.arange(n)
    prev = np.where(i > 0, cum[rows, np.maximum(i - 1, 0)], 0.0)
    span = cum[rows, i] - prev
    frac = np.where(span > 0, (half - prev) / np.where(span > 0, span, 1.0), 0.0)
    hfr = np.where(flux > 0, (i + frac) * step, np.nan)
    return Measured(ok, xs + dx.astype(np.float64), ys + dy.astype(np.float64), flux, hfr)


def _measure_candidates(padded: np.ndarray, xs: np.ndarray, ys: np.ndarray, sigma: float
                        ) -> tuple[Measured, np.ndarray]:
    """Every candidate measured in a stamp of :data:`FIRST_RADIUS`, and again in
    one twice as wide while it looks big (a defocused star) and bright enough
    for that not to be noise, up to :data:`PAD`; and the radius each ended at."""
    found = _measure_many(padded, xs, ys, FIRST_RADIUS)
    radius = np.full(xs.size, FIRST_RADIUS)
    todo = np.arange(xs.size)
    r = FIRST_RADIUS
    while r < PAD and todo.size:
        bright = 15.0 * sigma * math.sqrt(math.pi) * r
        todo = todo[found.ok[todo] & (found.hfr[todo] > r / 2.5) & (found.flux[todo] > bright)]
        if not todo.size:
            break
        r *= 2
        wide = _measure_many(padded, xs[todo], ys[todo], r)
        for column, values in zip(found, wide, strict=True):
            column[todo] = values
        radius[todo] = r
    return found, radius


def detect_stars(gray: np.ndarray, mask: np.ndarray | SkyMask | None = None, *,
                 threshold_sigma: float = 5.0, max_stars: int = 1500,
                 saturation: float = 0.98, cell: int = 32, max_hfr: float | None = None,
                 background: tuple[np.ndarray, float] | None = None) -> list[Star]:
    """Stars in a linear grey frame (``float32`` 0..1), brightest first.

    ``max_hfr`` drops wider sources (lumps of cloud, glare) when only
    star-like points are wanted; leave it out to measure defocused stars."""
    if gray.dtype != np.float32:
        gray = gray.astype(np.float32)
    sky = SkyMask.of(mask, cell)
    bg, sigma = background if background is not None else estimate_background(
        gray, sky, cell)
    resid = gray - bg
    smooth = cv2.GaussianBlur(resid, (0, 0), 1.0)
    sample = sampled(smooth, sky)
    if sample.size == 0:
        return []
    s_med = median(sample)
    s_sigma = mad_sigma(sample, s_med)
    if s_sigma <= 0:
        s_sigma = max(sigma * 0.3, 1e-6)
    thresh = s_med + threshold_sigma * s_sigma
    peaks = (smooth == cv2.dilate(smooth, np.ones((5, 5), np.uint8))) & (smooth > thresh)
    if sky is not None:
        peaks &= sky.peaks
    ys, xs = np.divmod(np.flatnonzero(peaks), peaks.shape[1])  # 2-D nonzero is far slower
    if ys.size == 0:
        return []
    strength = smooth[ys, xs]
    order = np.argsort(-strength)[: max_stars + max_stars // 2]
    stars: list[Star] = []
    taken = np.zeros(gray.shape, dtype=bool)
    padded = np.pad(resid, PAD)
    found, radii = _measure_candidates(padded, xs[order], ys[order], sigma)
    for n, idx in enumerate(order):
        x, y = int(xs[idx]), int(ys[idx])
        if taken[y, x] or not found.ok[n]:
            continue
        cx, cy, flux, hfr = (float(found.cx[n]), float(found.cy[n]), float(found.flux[n]),
                             float(found.hfr[n]))
        if not math.isfinite(hfr):
            continue
        radius = int(radii[n])
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

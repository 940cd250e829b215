"""Meteor detection: each night frame against the one before it.

:meth:`MeteorDetector.detect` (CPU, in the frame's analysis thread, after
dark subtraction):

1. the difference image: this frame's linear grey less the previous one's
   (each smoothed, Gaussian sigma 1 px); only new light counts (a streak of
   the previous frame is negative here), only inside the sky circle and
   outside the owner's mask of static lights (``capture_meteor_mask``);
2. in units of the expected noise (divided by the square root of the light,
   as shot noise grows), clipped at ``CLIP_SIGMA`` so one outlier cannot
   make a line, then its line response (:func:`line_response`: the best
   mean along a 15 px line in 12 directions, a local Hough transform), so a
   faint streak adds up while noise averages out;
3. hysteresis (as in Canny): regions above ``GROW_SIGMA`` robust deviations
   that reach ``THRESHOLD_SIGMA`` somewhere. More than ``MAX_CHANGED`` of
   the sky ``CLIP_SIGMA`` brighter than before: the sky itself changed (moving clouds,
   dawn, headlights) and the frame yields nothing;
4. each region's principal axis gives its ends, length and width; it is
   rejected when shorter than ``capture_meteor_min_length_px``, wider than
   ``MAX_WIDTH_PX`` or less elongated than ``MIN_ELONGATION`` (blobs,
   stars); when not a thin ridge (its mean under ``RIDGE_CONTRAST`` times
   the response beside it: a cloud's edge); when its brightness profile
   has gaps (an aircraft's blinking lights); and when it continues a
   candidate of the previous frame (a satellite or aircraft crosses several
   frames, a meteor lasts one): the new one is dropped and the earlier one
   withdrawn (:attr:`Detection.withdrawn`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np

from zenith.imaging.decode import Image, luminance
from zenith.imaging.geometry import Fisheye

THRESHOLD_SIGMA = 6.0  # seeds (line response): a line must reach this somewhere
GROW_SIGMA = 3.0  # the line's pixels: joined to a seed above this
NOISE_FLOOR = 1e-4  # linear grey below which the noise no longer falls
CLIP_SIGMA = 4.0  # one outlier pixel cannot make a line
LINE_PIXEL_SIGMA = 2.5  # a region's own pixels (noise units) that give its geometry
MAX_CHANGED = 0.03  # fraction of the sky CLIP_SIGMA brighter: the sky changed
MAX_WIDTH_PX = 6.0
MIN_ELONGATION = 5.0
GAP_LEVEL = 0.2  # of the profile's peak: below it a sample is a gap
MAX_GAPS = 0.25  # fraction of the line's middle in gaps: blinking lights
TRACK_ANGLE_DEG = 8.0
TRACK_DISTANCE_PX = 12.0
MAX_PER_FRAME = 5  # more lines than this at once: not meteors (a changed sky)
MIN_AREA_PX = 12
LINE_KERNEL_PX = 15
LINE_ANGLES = 12
RIDGE_OFFSET_PX = 6.0
RIDGE_CONTRAST = 2.5  # the line's mean over the brighter side's, at RIDGE_OFFSET_PX


@dataclass
class Candidate:
    """A meteor candidate in one frame (pixels of that frame)."""

    taken_at: datetime
    x0: float
    y0: float
    x1: float
    y1: float
    length_px: float
    width_px: float
    peak: float  # highest smoothed difference along the line, of full scale
    brightness: float  # summed difference over the streak, full-scale pixel units
    bbox: tuple[int, int, int, int]  # x, y, w, h
    diff: np.ndarray = field(repr=False)  # the difference image of the bbox, uint8

    @property
    def angle_deg(self) -> float:
        return math.degrees(math.atan2(self.y1 - self.y0, self.x1 - self.x0)) % 180.0

    def continues(self, other: Candidate) -> bool:
        """Same straight track (a satellite or aircraft in the next frame)."""
        delta = abs(self.angle_deg - other.angle_deg)
        if min(delta, 180.0 - delta) > TRACK_ANGLE_DEG:
            return False
        mx, my = (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2
        dx, dy = other.x1 - other.x0, other.y1 - other.y0
        norm = math.hypot(dx, dy) or 1.0
        return abs((mx - other.x0) * dy - (my - other.y0) * dx) / norm <= TRACK_DISTANCE_PX


@dataclass
class Detection:
    candidates: list[Candidate]
    withdrawn: list[Candidate]  # previous frame's candidates revealed as tracks
    skipped: str | None = None  # why the frame was not searched


def _spread(sample: np.ndarray) -> float:
    """A robust standard deviation that 8-bit steps do not fool (the central 95 %)."""
    lo, hi = np.percentile(sample, [2.5, 97.5])
    return max(float(hi - lo) / 3.92, 1e-9)


def _line_kernels() -> list[np.ndarray]:
    kernels = []
    c = LINE_KERNEL_PX // 2
    for i in range(LINE_ANGLES):
        k = np.zeros((LINE_KERNEL_PX, LINE_KERNEL_PX), np.float32)
        a = math.pi * i / LINE_ANGLES
        dx, dy = math.cos(a) * c, math.sin(a) * c
        cv2.line(k, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1)
        kernels.append(k / k.sum())
    return kernels


KERNELS = _line_kernels()


def line_response(diff: np.ndarray) -> np.ndarray:
    """The strongest mean of the difference along a short line through each pixel,
    over ``LINE_ANGLES`` directions: a faint streak adds up, noise averages out
    (a local Hough transform)."""
    out = cv2.filter2D(diff, -1, KERNELS[0])
    for k in KERNELS[1:]:
        np.maximum(out, cv2.filter2D(diff, -1, k), out=out)
    return out


class MeteorDetector:
    def __init__(self, lens: Fisheye | None = None, mask: np.ndarray | None = None,
                 min_length_px: float = 25.0) -> None:
        self.lens = lens
        self.owner_mask = mask  # bool, True = ignore
        self.min_length_px = min_length_px
        self._prev: np.ndarray | None = None
        self._last: list[Candidate] = []
        self._sky: np.ndarray | None = None

    def _sky_mask(self, shape: tuple[int, int]) -> np.ndarray:
        if self._sky is None or self._sky.shape != shape:
            h, w = shape
            lens = self.lens or Fisheye.centered(w, h)
            yy, xx = np.mgrid[0:h, 0:w]
            sky = (xx - lens.cx) ** 2 + (yy - lens.cy) ** 2 <= (lens.radius * 0.97) ** 2
            if self.owner_mask is not None and self.owner_mask.shape == shape:
                sky &= ~self.owner_mask
            self._sky = sky
        return self._sky

    def reset(self) -> None:
        self._prev, self._last = None, []

    def detect(self, image: Image, taken_at: datetime) -> Detection:
        grey = cv2.GaussianBlur(luminance(image.normalized()), (0, 0), 1.0)
        prev, self._prev = self._prev, grey
        if prev is None or prev.shape != grey.shape:
            self._last = []
            return Detection([], [], "no previous frame")
        sky = self._sky_mask(grey.shape)
        change = grey - prev
        # in units of the expected noise (shot noise grows with the light): a star's
        # noisy residual is ordinary there, a streak across dark sky is not
        z = change / np.sqrt(np.maximum((grey + prev) * 0.5, NOISE_FLOOR))
        sigma = _spread(z[sky][::7])
        np.clip(z / max(sigma, 1e-9), -CLIP_SIGMA, CLIP_SIGMA, out=z)
        resp = line_response(z)
        sample = resp[sky][::7]
        centre = float(np.median(sample))
        spread = _spread(sample)
        seeds = (resp > centre + THRESHOLD_SIGMA * spread) & sky
        if ((z >= CLIP_SIGMA) & sky).sum() > MAX_CHANGED * sky.sum():
            self._last = []
            return Detection([], [], "the sky changed")
        grown = (resp > centre + GROW_SIGMA * spread) & sky
        found = self._lines(seeds, grown, z, change, taken_at)
        withdrawn = [old for old in self._last if any(new.continues(old) for new in found)]
        kept = [new for new in found if not any(new.continues(old) for old in self._last)]
        self._last = found
        if len(kept) > MAX_PER_FRAME:
            return Detection([], withdrawn, "too many lines")
        return Detection(kept, withdrawn)

    def _lines(self, seeds: np.ndarray, grown: np.ndarray, z: np.ndarray,
               change: np.ndarray, taken_at: datetime) -> list[Candidate]:
        """Regions of the line response, measured on the line's own pixels (z)."""
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            grown.astype(np.uint8), connectivity=8)
        out: list[Candidate] = []
        for i in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[i])
            if area < MIN_AREA_PX or max(w, h) < self.min_length_px * 0.7:
                continue
            region = labels[y:y + h, x:x + w] == i
            if not (seeds[y:y + h, x:x + w] & region).any():
                continue
            region &= z[y:y + h, x:x + w] > LINE_PIXEL_SIGMA
            ys, xs = np.nonzero(region)
            if xs.size < 5:
                continue
            weights = np.clip(change[y:y + h, x:x + w][region], 0.0, None)
            cand = self._measure(xs + x, ys + y, weights, z, change, taken_at,
                                 (x, y, w, h))
            if cand is not None:
                out.append(cand)
        return out

    def _measure(self, xs: np.ndarray, ys: np.ndarray, weights: np.ndarray, diff: np.ndarray,
                 change: np.ndarray, taken_at: datetime, bbox: tuple[int, int, int, int]
                 ) -> Candidate | None:
        pts = np.stack([xs, ys], axis=1).astype(np.float64)
        wz = np.clip(diff[ys, xs].astype(np.float64), 0.0, None) ** 2  # the line outweighs noise
        mean = np.average(pts, axis=0, weights=wz)
        cov = np.cov((pts - mean).T, aweights=wz)
        evals, evecs = np.linalg.eigh(cov)
        axis = evecs[:, 1]
        along = (pts - mean) @ axis
        across = (pts - mean) @ evecs[:, 0]
        length = float(along.max() - along.min())
        width = 2.0 * math.sqrt(max(float(evals[0]), 0.0)) + 1.0
        if length < self.min_length_px or width > MAX_WIDTH_PX:
            return None
        if length / width < MIN_ELONGATION or float(np.abs(across).max()) > MAX_WIDTH_PX * 2.5:
            return None
        p0 = mean + axis * along.min()
        p1 = mean + axis * along.max()
        # brightness profile along the line: gaps mean blinking lights
        n = max(8, int(length))
        t = np.linspace(0.0, 1.0, n)
        sx = np.clip(np.rint(p0[0] + t * (p1[0] - p0[0])).astype(int), 0, diff.shape[1] - 1)
        sy = np.clip(np.rint(p0[1] + t * (p1[1] - p0[1])).astype(int), 0, diff.shape[0] - 1)
        profile = diff[sy, sx]
        peak = float(profile.max())
        middle = profile[int(n * 0.1):max(int(n * 0.9), int(n * 0.1) + 1)]
        if peak <= 0 or float((middle < GAP_LEVEL * peak).mean()) > MAX_GAPS:
            return None
        # a thin ridge, not the edge of something wide (a cloud moving in)
        normal = evecs[:, 0] * RIDGE_OFFSET_PX
        sides = []
        for sign in (-1.0, 1.0):
            ox = np.clip(np.rint(sx + sign * normal[0]).astype(int), 0, diff.shape[1] - 1)
            oy = np.clip(np.rint(sy + sign * normal[1]).astype(int), 0, diff.shape[0] - 1)
            sides.append(float(np.mean(diff[oy, ox])))
        if float(np.mean(profile)) < RIDGE_CONTRAST * max(max(sides), 0.0):
            return None
        x, y, w, h = bbox
        crop = change[y:y + h, x:x + w]
        top = max(float(crop.max()), 1e-6)
        shown = np.clip(crop / top * 255.0, 0, 255).astype(np.uint8)
        on_line = change[sy, sx]
        return Candidate(taken_at=taken_at, x0=float(p0[0]), y0=float(p0[1]),
                         x1=float(p1[0]), y1=float(p1[1]), length_px=length, width_px=width,
                         peak=float(on_line.max()), brightness=float(weights.sum()),
                         bbox=bbox, diff=shown)

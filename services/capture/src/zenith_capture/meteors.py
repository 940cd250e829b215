"""Meteor detection: each night frame against the one before it.

:meth:`MeteorDetector.detect` (CPU, in the frame's analysis thread, after
dark subtraction) works on the frame's linear grey:

1. binned: the grey is averaged over ``bin`` x ``bin`` pixels (``bin`` =
   width / ``SEARCH_WIDTH_PX``, 4 at 1280 px), so the search image is about
   320 px wide whatever the camera. A streak keeps its light (summed across
   its width), the noise per pixel falls by ``bin``, and the search costs a
   sixteenth;
2. the difference from the previous frame's binned grey in units of the
   expected noise (divided by the square root of the light, as shot noise
   grows), less its median (a sky uniformly brighter), divided by the noise
   measured from neighbouring pixels' differences (which a smooth cloud
   hardly changes), inside the sky circle and outside the owner's mask of
   static lights (``capture_meteor_mask``), clipped at ``CLIP_SIGMA``;
   the noise is measured again without the previous frame's stars
   (``STAR_SIGMA`` above its local sky; a bright one's neighbours, too), and
   there the difference is clipped at ``STAR_CLIP``: a star moves a little
   between frames and leaves a residual, which so counts for little while a
   faint streak crossing it still counts (leaving every star's place out
   took a third of the sky, and of a streak's light, with it);
3. the cloud gate, local: left out of the search are cells of ``CELL``
   binned pixels whose neighbourhood's median change or variance is not
   noise (a cloud moving in, headlights), and the previous frame's cloud
   edges and texture (its local slope above ``EDGE_SIGMA``, grown by
   ``EDGE_GROW``), where a drifting cloud draws thin lines in the
   difference. The rest of a partly cloudy frame is still searched; with
   more than ``MAX_CLOUDED`` of the sky left out the frame yields nothing;
4. the line search, a local Hough transform: the mean along a line of
   ``LINE_TAPS`` binned pixels in ``LINE_ANGLES`` directions through each
   pixel (shifted sums), the best direction kept; hysteresis (seeds above
   ``THRESHOLD_SIGMA``, grown to ``GROW_SIGMA``); each region's principal
   axis gives a piece, and pieces on one straight line join however far
   apart (up to twice the longer one's length), so a faint streak that the
   noise seeds only in places is tried at its full length (its pieces are
   tried alone when the whole is no line);
4b. the faint search, an oriented matched filter: sums along lines of
   ``LONG_LENGTHS`` binned pixels (32-128 px at 1280) in ``LONG_ANGLES``
   directions through each pixel, built by doubling (a line of 2k is two of
   k end to end, a few shifted sums per direction), each length in units of
   its own robust spread, so the signal-to-noise of a streak grows with the
   square root of the length matched; its peaks above ``PEAK_SIGMA``,
   strongest first (at most ``MAX_PEAKS``, none near a line already found),
   are tried as segments of their length and best direction;
5. each line is checked on the full-resolution difference along its whole
   length (a Radon sum over a 3 px strip): moved across to where its light
   is, its ends found where the light along it stops (for a line too faint
   for that, the stretch whose summed light stands out most), its summed
   light against parallel strips beside it (at least ``LINE_SNR`` of their
   noise; a line shorter than ``SHORT_PX`` more, as noise makes more short
   lines than long ones; here the previous frame's stars, grown by one,
   count as no data),
   a thin ridge rather than one side of something wide
   (``RIDGE_CONTRAST``), no wider than ``MAX_WIDTH_PX``, at least
   ``capture_meteor_min_length_px`` long, and without gaps in its
   brightness profile (an aircraft's blinking lights; looked for at a short
   scale where the line is bright enough sample by sample,
   ``BRIGHT_SAMPLE``);
6. a candidate that continues one of the previous frame (a satellite or
   aircraft crosses several frames, a meteor lasts one) is dropped and the
   earlier one withdrawn (:attr:`Detection.withdrawn`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np

from zenith.imaging.decode import Image, luminance
from zenith.imaging.geometry import Fisheye

SEARCH_WIDTH_PX = 320  # the binned search image's width
NOISE_FLOOR = 1e-4  # linear grey below which the noise no longer falls
CLIP_SIGMA = 4.0  # one outlier pixel cannot make a line
STAR_SIGMA = 7.0  # above the previous frame's local sky: a star's place, left out
STAR_GROW_SIGMA = 25.0  # a star this bright: its neighbours left out, too
STAR_CLIP = 1.5  # where a star is: the difference clipped this low (noise units)
STAR_BOX = 15  # binned pixels of the local sky around a star
EDGE_BOX = 15  # binned pixels: larger than an edge, smaller than the sky's slope
EDGE_SIGMA = 2.5  # the previous frame's local slope per binned pixel, in noise units
EDGE_GROW = 2  # binned pixels an edge may move between frames
CELL = 8  # binned pixels per cloud-gate cell
GATE_MEAN = 4.0  # a cell's median mean difference, in the cells' own spread
GATE_SQUARE = 1.6  # a cell's median mean square difference (noise gives 1)
MAX_CLOUDED = 0.6  # of the sky out of the search: the sky changed
LINE_TAPS = 7  # binned pixels along the local line
LINE_ANGLES = 16
LONG_LENGTHS = (8, 16, 32)  # binned pixels: the matched filter's lines, 32-128 px at 1280
LONG_ANGLES = 48  # its directions over 180 degrees (3.75 degrees apart)
PEAK_SIGMA = 5.5  # a long line's peak (its response over the response's robust spread)
MAX_PEAKS = 24  # long-line peaks verified per frame, the strongest first
THRESHOLD_SIGMA = 5.0  # seeds (line response, its robust spread)
GROW_SIGMA = 2.5
JOIN_GAP = 8.0  # binned pixels between two pieces of one line
JOIN_ANGLE_DEG = 10.0
EXTEND = 0.3  # of a segment's length, looked at beyond each of its ends
REFINE_PX = 4  # full-resolution pixels the line may move across when refined
JOIN_DISTANCE = 1.5  # binned pixels off the line
JOIN_SLOPE = 0.06  # and this much more per binned pixel beyond its end
STRIP_PX = 1  # half-width of the strip summed along the line (full resolution)
SIDE_OFFSETS_PX = (5, 7, 9)  # parallel strips on each side, the local noise and ridge
LINE_SNR = 7.0  # the strip's sum over the local noise of such a sum
SHORT_PX = 40.0  # shorter lines need LINE_SNR times the root of SHORT_PX / length
RIDGE_CONTRAST = 3.0  # the strip's mean over the brighter side's
MAX_WIDTH_PX = 6.0
GAP_LEVEL = 0.2  # of the smoothed profile's high level: below it a sample is a gap
BRIGHT_SAMPLE = 3.0  # noise units: a line this bright in places is checked for gaps closely
MAX_GAPS = 0.25  # fraction of the line's middle in gaps: blinking lights
TRACK_ANGLE_DEG = 8.0
TRACK_DISTANCE_PX = 12.0
MAX_PER_FRAME = 5  # more lines than this at once: not meteors (a changed sky)


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
    peak: float  # highest difference along the line (3-px mean), of full scale
    brightness: float  # summed difference over the streak, full-scale pixel units
    bbox: tuple[int, int, int, int]  # x, y, w, h
    diff: np.ndarray = field(repr=False)  # the difference image of the bbox, uint8
    snr: float = 0.0  # the whole line's signal over its local noise

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
    clouded: float = 0.0  # fraction of the sky the cloud gate left out


@dataclass
class _Segment:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def angle(self) -> float:
        return math.degrees(math.atan2(self.y1 - self.y0, self.x1 - self.x0)) % 180.0

    @property
    def length(self) -> float:
        return math.hypot(self.x1 - self.x0, self.y1 - self.y0)


@contextmanager
def _quiet() -> Iterator[None]:
    """No warnings for a strip wholly behind stars (its mean is NaN, on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _spread(sample: np.ndarray) -> float:
    """A robust standard deviation that 8-bit steps do not fool (the central 95 %)."""
    lo, hi = np.percentile(sample, [2.5, 97.5])
    return max(float(hi - lo) / 3.92, 1e-9)


def _offsets() -> list[list[tuple[int, int]]]:
    half = LINE_TAPS // 2
    out = []
    for i in range(LINE_ANGLES):
        a = math.pi * i / LINE_ANGLES
        out.append(
            [(round(k * math.cos(a)), round(k * math.sin(a))) for k in range(-half, half + 1)]
        )
    return out


OFFSETS = _offsets()


def line_response(z: np.ndarray) -> np.ndarray:
    """The best mean of ``z`` along a line of ``LINE_TAPS`` pixels through each
    pixel, over ``LINE_ANGLES`` directions (shifted sums: a local Hough
    transform): a streak adds up, noise averages out."""
    h, w = z.shape
    p = LINE_TAPS // 2
    padded = cv2.copyMakeBorder(z, p, p, p, p, cv2.BORDER_CONSTANT, value=0.0)
    best = np.full((h, w), -np.inf, np.float32)
    acc = np.empty((h, w), np.float32)
    for taps in OFFSETS:
        acc.fill(0.0)
        for dx, dy in taps:
            acc += padded[p + dy : p + dy + h, p + dx : p + dx + w]
        np.maximum(best, acc, out=best)
    best *= np.float32(1.0 / LINE_TAPS)
    return best


def long_line_responses(
    z: np.ndarray, lengths: tuple[int, ...] = LONG_LENGTHS, angles: int = LONG_ANGLES
) -> list[np.ndarray]:
    """For each length in ``lengths`` (binned pixels, powers of two), the best
    sum of ``z`` along a line of that length centred on each pixel over
    ``angles`` directions, divided by the square root of the length: an
    oriented matched filter whose signal-to-noise grows with the square root
    of the length it matches, so a faint streak stands out over its whole
    length where no short piece of it does. Built by doubling (a line of 2k
    pixels is two of k end to end), a few shifted sums per direction whatever
    the length."""
    h, w = z.shape
    pad = lengths[-1]
    zp = cv2.copyMakeBorder(z, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0.0)
    big_h, big_w = zp.shape
    best = [np.full((h, w), -np.inf, np.float32) for _ in lengths]
    bufs = [np.empty_like(zp), np.empty_like(zp)]
    for i in range(angles):
        a = math.pi * i / angles
        c, s = math.cos(a), math.sin(a)
        acc, k, cx, cy = zp, 1, 0.0, 0.0  # a line of k pixels from here, its centre
        for j, length in enumerate(lengths):
            while k < length:
                dx, dy = _step(k, c, s)
                out = bufs[0] if acc is not bufs[0] else bufs[1]
                np.copyto(out, acc)  # out[y, x] = acc[y, x] + acc[y + dy, x + dx]
                ys = slice(max(0, -dy), min(big_h, big_h - dy))
                xs = slice(max(0, -dx), min(big_w, big_w - dx))
                part = out[ys, xs]  # a view: added to in place
                np.add(
                    part, acc[ys.start + dy : ys.stop + dy, xs.start + dx : xs.stop + dx], out=part
                )
                acc, cx, cy, k = out, cx + dx / 2.0, cy + dy / 2.0, 2 * k
            ox, oy = math.floor(cx + 0.5), math.floor(cy + 0.5)  # centred on the pixel
            np.maximum(best[j], acc[pad - oy : pad - oy + h, pad - ox : pad - ox + w], out=best[j])
    for j, length in enumerate(lengths):
        best[j] *= np.float32(1.0 / math.sqrt(length))
    return best


def _step(k: int, c: float, s: float) -> tuple[int, int]:
    return math.floor(k * c + 0.5), math.floor(k * s + 0.5)


def best_direction(z: np.ndarray, x: int, y: int, length: int, angles: int = LONG_ANGLES) -> float:
    """The direction (radians) of the line of ``length`` through ``x, y`` with
    the highest sum of ``z``."""
    h, w = z.shape
    t = np.arange(length, dtype=np.float64) - (length - 1) / 2.0
    a = np.pi * np.arange(angles) / angles
    xs = np.clip(np.floor(x + t[None, :] * np.cos(a)[:, None] + 0.5).astype(int), 0, w - 1)
    ys = np.clip(np.floor(y + t[None, :] * np.sin(a)[:, None] + 0.5).astype(int), 0, h - 1)
    return float(a[int(np.argmax(z[ys, xs].sum(axis=1)))])


def _median_cells(values: np.ndarray) -> np.ndarray:
    return (
        cv2.medianBlur(np.ascontiguousarray(values, np.float32), 5)
        if min(values.shape) >= 5
        else values
    )


class MeteorDetector:
    def __init__(
        self,
        lens: Fisheye | None = None,
        mask: np.ndarray | None = None,
        min_length_px: float = 25.0,
    ) -> None:
        self.lens = lens
        self.owner_mask = mask  # bool, True = ignore
        self.min_length_px = min_length_px
        self._prev: np.ndarray | None = None  # full-resolution grey
        self._prev_small: np.ndarray | None = None
        self._last: list[Candidate] = []
        self._sky: np.ndarray | None = None
        self._sky_small: np.ndarray | None = None
        self._bin = 1
        self._star_mask: np.ndarray | None = None

    def _masks(self, shape: tuple[int, int]) -> None:
        if self._sky is not None and self._sky.shape == shape:
            return
        h, w = shape
        lens = self.lens or Fisheye.centered(w, h)
        yy, xx = np.mgrid[0:h, 0:w]
        sky = (xx - lens.cx) ** 2 + (yy - lens.cy) ** 2 <= (lens.radius * 0.97) ** 2
        if self.owner_mask is not None and self.owner_mask.shape == shape:
            sky &= ~self.owner_mask
        self._sky = sky
        self._bin = b = max(1, round(w / SEARCH_WIDTH_PX))
        small = cv2.resize(sky.astype(np.float32), (w // b, h // b), interpolation=cv2.INTER_AREA)
        self._sky_small = small > 0.999  # wholly inside: no binned pixel half masked

    def reset(self) -> None:
        self._prev, self._prev_small, self._last = None, None, []

    def detect(self, image: Image, taken_at: datetime) -> Detection:
        grey = luminance(image.normalized())
        self._masks(grey.shape)
        b = self._bin
        h, w = grey.shape
        small = cv2.resize(grey, (w // b, h // b), interpolation=cv2.INTER_AREA) if b > 1 else grey
        prev, prev_small = self._prev, self._prev_small
        self._prev, self._prev_small = grey, small
        if prev is None or prev_small is None or prev.shape != grey.shape:
            self._last = []
            return Detection([], [], "no previous frame")
        sky = self._sky_small
        assert sky is not None
        z = (small - prev_small) / np.sqrt(np.maximum((small + prev_small) * 0.5, NOISE_FLOOR))
        inside = z[sky]
        z -= np.float32(np.median(inside[::3]))
        # the noise from neighbouring pixels' differences: what clouds (smooth)
        # change hardly counts there, so a cloudy frame is measured in noise units too
        pairs = sky[:, 1:] & sky[:, :-1]
        steps = z[:, 1:] - z[:, :-1]
        spread = _spread(steps[pairs][::3]) / math.sqrt(2.0)
        stars, self._star_mask = self._stars(prev_small, spread)
        # measured again without the stars' residuals, which widen it
        clean = pairs & ~stars[:, 1:] & ~stars[:, :-1]
        if clean.sum() > 0.25 * pairs.sum():
            spread = _spread(steps[clean][::3]) / math.sqrt(2.0)
        z *= np.float32(1.0 / spread)
        np.clip(z, -CLIP_SIGMA, CLIP_SIGMA, out=z)
        z[~sky] = 0.0
        # a star's residual counts for little (a faint streak crossing it hardly more)
        z[stars] = np.clip(z[stars], -STAR_CLIP, STAR_CLIP)
        gate = self._cloud_gate(z, sky) | self._edges(prev_small, sky, spread)
        clouded = float((gate & sky).sum()) / max(int(sky.sum()), 1)
        if clouded > MAX_CLOUDED:
            self._last = []
            return Detection([], [], "the sky changed", clouded)
        z[gate] = 0.0
        searched = sky & ~gate
        resp = line_response(z)
        sample = resp[searched][::3]
        if sample.size < 16:
            self._last = []
            return Detection([], [], "the sky changed", clouded)
        centre, spread = float(np.median(sample)), _spread(sample)
        seeds = (resp > centre + THRESHOLD_SIGMA * spread) & searched
        grown = (resp > centre + GROW_SIGMA * spread) & searched
        segments = self._segments(seeds, grown, z)
        found: list[Candidate] = []
        for whole, pieces in segments:
            tried = [whole] if len(pieces) == 1 else [whole, *pieces]
            for seg in tried:
                cand = self._verify(seg, grey, prev, taken_at)
                if cand is not None and not any(_same(cand, c) for c in found):
                    found.append(cand)
                if cand is not None and seg is whole:
                    break
        found += self._faint(z, searched, found, grey, prev, taken_at)
        withdrawn = [old for old in self._last if any(new.continues(old) for new in found)]
        kept = [new for new in found if not any(new.continues(old) for old in self._last)]
        self._last = found
        if len(kept) > MAX_PER_FRAME:
            return Detection([], withdrawn, "too many lines", clouded)
        return Detection(kept, withdrawn, None, clouded)

    def _faint(
        self,
        z: np.ndarray,
        searched: np.ndarray,
        found: list[Candidate],
        grey: np.ndarray,
        prev: np.ndarray,
        taken_at: datetime,
    ) -> list[Candidate]:
        """Streaks too faint for the local line search: the peaks of the long
        lines' matched filter, strongest first, each tried as a segment of its
        length and direction (verified like any other); around a line found,
        and around a peak tried, nothing else is tried."""
        b = self._bin
        responses = long_line_responses(z)
        for r in responses:
            sample = r[searched][::3]
            r -= np.float32(np.median(sample))  # in units of its own spread: the best
            r *= np.float32(1.0 / _spread(sample))  # of many directions is no unit normal
        stack = np.stack(responses)
        length = np.argmax(stack, axis=0)
        best = np.max(stack, axis=0)
        best[~searched] = -np.inf
        free = np.ones(z.shape, np.uint8)
        reach = LONG_LENGTHS[-1] // 2 + 2  # no long line through here reaches a found one
        for c in found:
            cv2.line(
                free,
                (round(c.x0 / b), round(c.y0 / b)),
                (round(c.x1 / b), round(c.y1 / b)),
                0,
                2 * reach + 1,
            )
        best[free == 0] = -np.inf
        out: list[Candidate] = []
        for _ in range(MAX_PEAKS):
            at = int(np.argmax(best))
            y, x = divmod(at, best.shape[1])
            if not best[y, x] > PEAK_SIGMA:
                break
            size = LONG_LENGTHS[int(length[y, x])]
            half = size / 2.0
            a = best_direction(z, x, y, size)
            dx, dy = half * math.cos(a), half * math.sin(a)
            seg = _Segment(x - dx, y - dy, x + dx, y + dy)
            cand = self._verify(seg, grey, prev, taken_at)
            if cand is not None and not any(_same(cand, c) for c in [*found, *out]):
                out.append(cand)
                ends = (
                    (round(cand.x0 / b), round(cand.y0 / b)),
                    (round(cand.x1 / b), round(cand.y1 / b)),
                )
                mask = np.ones(z.shape, np.uint8)
                cv2.line(mask, *ends, 0, 2 * reach + 1)
                best[mask == 0] = -np.inf
            # the peak's own neighbourhood along its line is done
            mask = np.ones(z.shape, np.uint8)
            cv2.line(mask, (round(x - dx), round(y - dy)), (round(x + dx), round(y + dy)), 0, 5)
            best[mask == 0] = -np.inf
        return out

    @staticmethod
    def _stars(prev_small: np.ndarray, spread: float) -> tuple[np.ndarray, np.ndarray]:
        """Where the previous frame has a star (binned pixels; a bright one's
        neighbours too): a star moves a little between frames and leaves a
        residual there, about a sixth of its light at most."""
        background = cv2.blur(prev_small, (STAR_BOX, STAR_BOX))
        noise = spread * np.sqrt(np.maximum(background, NOISE_FLOOR)) / math.sqrt(2.0)
        above = prev_small - background
        stars = above > STAR_SIGMA * noise
        bright = (above > STAR_GROW_SIGMA * noise).astype(np.uint8)
        grown = cv2.dilate(stars.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        return stars | (cv2.dilate(bright, np.ones((3, 3), np.uint8)) > 0), grown

    @staticmethod
    def _edges(prev_small: np.ndarray, sky: np.ndarray, spread: float) -> np.ndarray:
        """Where the previous frame's sky has structure (a cloud's edge, a lit
        cloud's texture), grown by ``EDGE_GROW`` binned pixels: a cloud moving
        by a pixel or two there makes thin lines in the difference."""
        inside = sky.astype(np.float32)
        filled = np.where(sky, prev_small, np.float32(np.median(prev_small[sky][::5])))
        smooth = cv2.medianBlur(np.ascontiguousarray(filled, np.float32), 5)
        box = (EDGE_BOX, EDGE_BOX)  # the local sky, from sky pixels only (no horizon edge)
        local = cv2.blur(smooth * inside, box) / np.maximum(cv2.blur(inside, box), 1e-3)
        detail = (smooth - local) * inside  # not the sky's smooth slope
        gx = cv2.Sobel(detail, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(detail, cv2.CV_32F, 0, 1, ksize=3)
        grad = (np.abs(gx) + np.abs(gy)) * np.float32(0.125)
        noise = spread * np.sqrt(np.maximum(smooth, NOISE_FLOOR)) / math.sqrt(2.0)
        edges = (grad > EDGE_SIGMA * noise).astype(np.uint8)
        size = 2 * EDGE_GROW + 1
        return cv2.dilate(edges, np.ones((size, size), np.uint8)) > 0

    @staticmethod
    def _cloud_gate(z: np.ndarray, sky: np.ndarray) -> np.ndarray:
        """Cells (and their neighbours) where the sky itself changed."""
        h, w = z.shape
        ch, cw = max(1, h // CELL), max(1, w // CELL)
        area = cv2.resize(sky.astype(np.float32), (cw, ch), interpolation=cv2.INTER_AREA)
        mean = cv2.resize(z, (cw, ch), interpolation=cv2.INTER_AREA)
        square = cv2.resize(z * z, (cw, ch), interpolation=cv2.INTER_AREA)
        full = area > 0.5
        mean = np.where(full, mean / np.maximum(area, 1e-6), 0.0).astype(np.float32)
        square = np.where(full, square / np.maximum(area, 1e-6), 1.0).astype(np.float32)
        med_mean, med_square = _median_cells(mean), _median_cells(square)
        inner = full & (area > 0.99)
        ref = med_mean[inner] if inner.any() else med_mean.ravel()
        scale = _spread(mean[inner]) if inner.sum() > 20 else 1.0
        changed = (np.abs(med_mean - float(np.median(ref))) > GATE_MEAN * scale) | (
            med_square > GATE_SQUARE
        )
        changed = cv2.dilate(changed.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        gate = cv2.resize(changed.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
        return gate > 0

    def _segments(
        self, seeds: np.ndarray, grown: np.ndarray, z: np.ndarray
    ) -> list[tuple[_Segment, list[_Segment]]]:
        """Principal axes of the seeded regions, collinear pieces joined."""
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            grown.astype(np.uint8), connectivity=8
        )
        pieces: list[_Segment] = []
        for i in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[i])
            if area < 3:
                continue
            region = labels[y : y + h, x : x + w] == i
            if not (seeds[y : y + h, x : x + w] & region).any():
                continue
            ys, xs = np.nonzero(region)
            wt = np.clip(z[y : y + h, x : x + w][region].astype(np.float64), 0.0, None) + 0.1
            pts = np.stack([xs + x, ys + y], axis=1).astype(np.float64)
            mean = np.average(pts, axis=0, weights=wt)
            cov = np.cov((pts - mean).T, aweights=wt) if len(pts) > 2 else np.eye(2)
            _, evecs = np.linalg.eigh(np.atleast_2d(cov))
            axis = evecs[:, 1]
            along = (pts - mean) @ axis
            p0, p1 = mean + axis * along.min(), mean + axis * along.max()
            pieces.append(_Segment(float(p0[0]), float(p0[1]), float(p1[0]), float(p1[1])))
        return _join(pieces)

    def _verify(
        self, seg: _Segment, grey: np.ndarray, prev: np.ndarray, taken_at: datetime
    ) -> Candidate | None:
        """The segment on the full-resolution difference, along its whole length."""
        b = self._bin
        h, w = grey.shape
        ax, ay = (seg.x0 + 0.5) * b - 0.5, (seg.y0 + 0.5) * b - 0.5
        bx, by = (seg.x1 + 0.5) * b - 0.5, (seg.y1 + 0.5) * b - 0.5
        length = math.hypot(bx - ax, by - ay)
        if length < 1.0:
            return None
        ux, uy = (bx - ax) / length, (by - ay) / length
        nx, ny = -uy, ux
        ext = max(2.0 * b, EXTEND * length)  # the binned ends are coarse or faint:
        # look beyond them, the light along the line says where it ends
        ax, ay, bx, by = ax - ux * ext, ay - uy * ext, bx + ux * ext, by + uy * ext
        length += 2 * ext
        margin = max(SIDE_OFFSETS_PX) + STRIP_PX + REFINE_PX + 2
        x0 = int(max(0, math.floor(min(ax, bx) - margin)))
        y0 = int(max(0, math.floor(min(ay, by) - margin)))
        x1 = int(min(w, math.ceil(max(ax, bx) + margin) + 1))
        y1 = int(min(h, math.ceil(max(ay, by) + margin) + 1))
        g, p = grey[y0:y1, x0:x1], prev[y0:y1, x0:x1]
        change = g - p
        zf = change / np.sqrt(np.maximum((g + p) * 0.5, NOISE_FLOOR))
        valid = np.ones(zf.shape, bool)
        if self._star_mask is not None:  # stars of the previous frame count as no data
            yy = np.minimum(np.arange(y0, y1) // b, self._star_mask.shape[0] - 1)
            xx = np.minimum(np.arange(x0, x1) // b, self._star_mask.shape[1] - 1)
            valid = ~self._star_mask[np.ix_(yy, xx)]
        zf = np.where(valid, zf, np.float32(np.nan))
        n = max(8, int(length))
        t = np.linspace(0.0, 1.0, n)
        px, py = ax - x0 + t * (bx - ax), ay - y0 + t * (by - ay)

        def strip(offset: float, src: np.ndarray = zf, half: int = STRIP_PX) -> np.ndarray:
            """The mean of ``src`` across a strip along the line (NaN: no data)."""
            rows = []
            for k in range(-half, half + 1):
                sx = np.clip(np.rint(px + (offset + k) * nx).astype(int), 0, src.shape[1] - 1)
                sy = np.clip(np.rint(py + (offset + k) * ny).astype(int), 0, src.shape[0] - 1)
                rows.append(src[sy, sx])
            with np.errstate(invalid="ignore"):
                return np.nanmean(np.stack(rows), axis=0) if half else rows[0]

        with np.errstate(invalid="ignore"), _quiet():
            sides = np.stack([strip(s * o) for o in SIDE_OFFSETS_PX for s in (-1.0, 1.0)])
            good = sides[np.isfinite(sides)]
            if good.size < 16:
                return None
            level = float(np.median(good))
            noise = _spread(good - level)  # one strip sample's noise, here
            # refine the line across: where the light is in each eighth of it, a
            # straight fit through those (the binned axis may be off by a pixel or two)
            offs = np.arange(-REFINE_PX, REFINE_PX + 1, dtype=np.float64)
            across = np.nan_to_num(np.stack([strip(o, half=0) for o in offs]) - level)
            cs, ws, ts = [], [], []
            for c in np.array_split(np.arange(n), 8):
                prof = np.clip(across[:, c].mean(axis=1), 0.0, None)
                if prof.sum() <= 0:
                    continue
                cs.append(float((prof * offs).sum() / prof.sum()))
                ws.append(float(prof.sum()))
                ts.append(float(c.mean()))
            if len(ts) >= 2:
                slope, icpt = np.polyfit(np.array(ts), np.array(cs), 1, w=np.sqrt(np.array(ws)))
                shift = np.clip(icpt + slope * np.arange(n), -REFINE_PX, REFINE_PX)
                px, py = px + shift * nx, py + shift * ny
            on = strip(0.0) - level
            ok = np.isfinite(on)
            # trim the ends to where the light is: a running mean long enough to see
            # the line's middle at about 4 sigma, at least 2 binned pixels
            middle = on[n // 4 : max(3 * n // 4, n // 4 + 1)]
            per = float(np.nanmedian(middle)) / noise if np.isfinite(middle).any() else 0.0
            k = int(np.clip(round(16.0 / max(per, 0.1) ** 2), 2 * b + 1, max(n // 4, 2 * b + 1)))
            box = np.ones(k)
            counts = np.convolve(ok.astype(np.float64), box, mode="same")
            smooth = np.convolve(np.where(ok, on, 0.0), box, mode="same") / np.maximum(counts, 1)
            seen = counts >= k / 2
            lit = seen & (smooth > 2.5 * noise / np.sqrt(np.maximum(counts, 1)))
            shortest = self.min_length_px / length * (n - 1)
            i0, i1, snr = 0, 0, 0.0
            if lit.sum() >= 2:
                i0, i1 = _lit_run(lit, seen, int(np.argmax(np.where(lit, smooth, -np.inf))), k)
                snr = _run_snr(on, ok, noise, i0, i1)
            if snr < LINE_SNR:
                # too faint for its ends to show (a short bright piece is no such
                # line: a blinking light): the stretch of the line whose summed
                # light stands out most, the matched filter's own length
                i0, i1, snr = _best_run(on, ok, noise, shortest)
            span = (i1 - i0) / (n - 1) * length
            # a short line has more places to be than a long one: noise makes
            # more of them, so it needs more light
            needed = LINE_SNR * math.sqrt(max(1.0, SHORT_PX / max(span, 1.0)))
            if span < self.min_length_px or snr < needed:
                return None
            part = on[i0 : i1 + 1][ok[i0 : i1 + 1]]
            if part.size < 0.5 * (i1 - i0 + 1):
                return None  # mostly behind stars: cannot tell
            mean_on = float(part.mean())
            side = max(
                float(np.nanmean(strip(s * SIDE_OFFSETS_PX[0])[i0 : i1 + 1])) - level
                for s in (-1.0, 1.0)
            )
            if mean_on < RIDGE_CONTRAST * max(side, 0.0):
                return None  # the edge of something wide
            # width: second moment of the light across the line
            offs = np.arange(-4, 5, dtype=np.float64)
            across_mean = np.array(
                [max(float(np.nanmean(strip(o, half=0)[i0 : i1 + 1])) - level, 0.0) for o in offs]
            )
            width = (
                2.0 * math.sqrt(float((across_mean * offs**2).sum() / max(across_mean.sum(), 1e-9)))
                + 1.0
            )
            if not across_mean.sum() > 0 or width > MAX_WIDTH_PX:
                return None
            bright = float(np.percentile(part, 90)) / noise
            if bright >= BRIGHT_SAMPLE:
                # its brightest stretches stand out sample by sample: gaps are
                # looked for at a short scale, which a blinking light cannot bridge
                k = 2 * b + 1
                box = np.ones(k)
                counts = np.convolve(ok.astype(np.float64), box, mode="same")
                smooth = np.convolve(np.where(ok, on, 0.0), box, mode="same") / np.maximum(
                    counts, 1
                )
                seen = counts >= k / 2
            inner, inner_seen = smooth[i0 : i1 + 1], seen[i0 : i1 + 1]
            lo, hi = int(inner.size * 0.1), max(int(inner.size * 0.9), int(inner.size * 0.1) + 1)
            mid = inner[lo:hi][inner_seen[lo:hi]]
            high = float(np.percentile(inner[inner_seen], 90))
            if high <= 0 or mid.size == 0 or float((mid < GAP_LEVEL * high).mean()) > MAX_GAPS:
                return None  # blinking lights
        e0 = (px[i0] + x0, py[i0] + y0)
        e1 = (px[i1] + x0, py[i1] + y0)
        lo_x, hi_x = int(max(0, min(e0[0], e1[0]) - 3)), int(min(w, max(e0[0], e1[0]) + 4))
        lo_y, hi_y = int(max(0, min(e0[1], e1[1]) - 3)), int(min(h, max(e0[1], e1[1]) + 4))
        crop = grey[lo_y:hi_y, lo_x:hi_x] - prev[lo_y:hi_y, lo_x:hi_x]
        top = max(float(crop.max()), 1e-6)
        shown = np.clip(crop / top * 255.0, 0, 255).astype(np.uint8)
        line_change = strip(0.0, change)[i0 : i1 + 1]
        brightness = float(np.clip(line_change, 0, None).sum()) * (2 * STRIP_PX + 1)
        return Candidate(
            taken_at=taken_at,
            x0=float(e0[0]),
            y0=float(e0[1]),
            x1=float(e1[0]),
            y1=float(e1[1]),
            length_px=span,
            width_px=width,
            peak=float(line_change.max()),
            brightness=brightness,
            bbox=(lo_x, lo_y, hi_x - lo_x, hi_y - lo_y),
            diff=shown,
            snr=snr,
        )


def _run_snr(on: np.ndarray, ok: np.ndarray, noise: float, i0: int, i1: int) -> float:
    part = on[i0 : i1 + 1][ok[i0 : i1 + 1]]
    return float(part.sum()) / (noise * math.sqrt(part.size)) if part.size else 0.0


def _best_run(
    on: np.ndarray, ok: np.ndarray, noise: float, shortest: float
) -> tuple[int, int, float]:
    """The stretch ``i0..i1`` (at least ``shortest`` samples) whose summed light
    over its noise is highest, and that signal-to-noise (samples without data
    left out of both)."""
    light = np.concatenate([[0.0], np.cumsum(np.where(ok, on, 0.0))])
    seen = np.concatenate([[0.0], np.cumsum(ok.astype(np.float64))])
    total = light[None, :] - light[:, None]  # [i, j]: samples i..j-1
    count = seen[None, :] - seen[:, None]
    idx = np.arange(light.size)
    long_enough = (idx[None, :] - idx[:, None]) > shortest
    score = np.where(long_enough & (count > 0), total / np.sqrt(np.maximum(count, 1.0)), -np.inf)
    at = int(np.argmax(score))
    i, j = divmod(at, light.size)
    best = float(score[i, j])
    if not math.isfinite(best):
        return 0, 0, 0.0
    return i, j - 1, best / noise


def _lit_run(lit: np.ndarray, seen: np.ndarray, start: int, gap: int) -> tuple[int, int]:
    """The run of lit samples around ``start``, across gaps of up to ``gap`` dark
    samples (samples without data, behind a star, are no gap)."""
    ends = []
    for step, stop in ((-1, -1), (1, lit.size)):
        end, dark = start, 0
        for i in range(start + step, stop, step):
            if lit[i]:
                end, dark = i, 0
            elif seen[i]:
                dark += 1
                if dark > gap:
                    break
        ends.append(end)
    return ends[0], ends[1]


def _join(pieces: list[_Segment]) -> list[tuple[_Segment, list[_Segment]]]:
    """Pieces on one straight line made one segment (the full-length search: a
    faint streak is seeded only where noise happens to help it), each with its
    pieces, which are tried alone when the whole is not a line."""
    groups: list[tuple[_Segment, list[_Segment]]] = []
    for seg in sorted(pieces, key=lambda s: -s.length):
        for i, (big, members) in enumerate(groups):
            joined = _merge(big, seg)
            if joined is not None:
                groups[i] = (joined, [*members, seg])
                break
        else:
            groups.append((seg, [seg]))
    return groups


def _merge(a: _Segment, b: _Segment) -> _Segment | None:
    """``a`` reaching out to ``b`` when ``b`` lies on its line, at most
    ``JOIN_GAP`` plus twice ``a``'s length beyond its ends."""
    la = a.length or 1.0
    ux, uy = (a.x1 - a.x0) / la, (a.y1 - a.y0) / la
    if b.length > 2.0:
        delta = abs(a.angle - b.angle)
        if min(delta, 180.0 - delta) > JOIN_ANGLE_DEG:
            return None
    ts = []
    for x, y in ((b.x0, b.y0), (b.x1, b.y1)):
        rx, ry = x - a.x0, y - a.y0
        t = rx * ux + ry * uy
        beyond = max(0.0, -t, t - la)
        if abs(rx * uy - ry * ux) > JOIN_DISTANCE + JOIN_SLOPE * beyond + 0.1 * b.length:
            return None
        ts.append(t)
    reach = JOIN_GAP + 2.0 * la
    if min(ts) > la + reach or max(ts) < -reach:
        return None
    ends = [(0.0, a.x0, a.y0), (la, a.x1, a.y1), (ts[0], b.x0, b.y0), (ts[1], b.x1, b.y1)]
    first, last = min(ends), max(ends)
    return _Segment(first[1], first[2], last[1], last[2])


def _same(a: Candidate, b: Candidate) -> bool:
    return (
        a.continues(b)
        and b.continues(a)
        and abs((a.x0 + a.x1) / 2 - (b.x0 + b.x1) / 2) + abs((a.y0 + a.y1) / 2 - (b.y0 + b.y1) / 2)
        < (a.length_px + b.length_px) / 2
    )

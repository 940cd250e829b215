"""Cloud cover: the fraction of the sky (above ``min_alt``) under cloud.

The sky above 20° is cut into cells of similar solid angle (altitude rings
split into azimuth sectors, :data:`RINGS`); the cover is the solid-angle
weighted fraction of the cells judged that are cloudy.

At night (:func:`cloud_cover_from_stars`) the camera knows which bright
catalogue stars should be in each cell (the caller projects them with the
lens model for the frame's time). A catalogue star counts as *seen* when a
detected star lies within ``match_radius`` pixels of where it should be. A
cell with at least ``min_expected`` expected stars is cloudy when fewer
than ``clear_fraction`` of them are seen: clouds hide stars, thin cloud
dims the faint ones first. A cell with too few expected stars to judge
that way is judged by its background: cloudy when it is ``bright_factor``
times brighter than the median background of the clear cells (clouds lit
by towns or the moon are brighter than clear sky); left out when there is
no clear cell to compare with. The estimate is None when no cell could be
judged (too few bright stars up, or all of them lost in twilight).

By day (:func:`cloud_cover_daylight`) the colour decides: clear sky
scatters blue far more than red, clouds are white or grey, so a sky pixel
whose red/blue ratio exceeds ``ratio`` (0.6 is the classic threshold) is
cloud. Saturated pixels (the sun) are left out. Grey frames cannot be
judged this way (None).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RINGS: tuple[tuple[float, float, int], ...] = ((20.0, 45.0, 8), (45.0, 70.0, 6),
                                              (70.0, 90.01, 2))


@dataclass(frozen=True)
class CloudEstimate:
    cover: float | None
    cells: int
    method: str


def cell_weights(rings: tuple[tuple[float, float, int], ...] = RINGS) -> np.ndarray:
    """Solid angle of each cell (sr), in cell-index order."""
    weights = []
    for lo, hi, sectors in rings:
        band = 2 * math.pi * (math.sin(math.radians(min(hi, 90.0))) - math.sin(math.radians(lo)))
        weights += [band / sectors] * sectors
    return np.asarray(weights)


def cell_index(alt: np.ndarray, az: np.ndarray,
               rings: tuple[tuple[float, float, int], ...] = RINGS) -> np.ndarray:
    """Cell of each direction (-1 below the lowest ring)."""
    alt = np.asarray(alt, dtype=np.float64)
    az = np.asarray(az, dtype=np.float64) % 360.0
    out = np.full(alt.shape, -1, dtype=np.int32)
    base = 0
    for lo, hi, sectors in rings:
        inside = (alt >= lo) & (alt < hi)
        sector = np.minimum((az / (360.0 / sectors)).astype(np.int32), sectors - 1)
        out[inside] = base + sector[inside]
        base += sectors
    return out


def cloud_cover_from_stars(expected_xy: np.ndarray, expected_cell: np.ndarray,
                           detected_xy: np.ndarray, match_radius: float, *,
                           cell_background: np.ndarray | None = None,
                           rings: tuple[tuple[float, float, int], ...] = RINGS,
                           min_expected: int = 2, clear_fraction: float = 0.5,
                           bright_factor: float = 1.6) -> CloudEstimate:
    """Night-time estimate from missing stars (see the module docstring).

    ``expected_xy`` (N, 2) and ``expected_cell`` (N) describe the catalogue
    stars that should be visible; ``detected_xy`` (M, 2) the stars found;
    ``cell_background`` the mean background level of each cell."""
    weights = cell_weights(rings)
    n_cells = weights.size
    expected_xy = np.asarray(expected_xy, dtype=np.float64).reshape(-1, 2)
    detected_xy = np.asarray(detected_xy, dtype=np.float64).reshape(-1, 2)
    cells = np.asarray(expected_cell, dtype=np.int64).reshape(-1)
    keep = cells >= 0
    expected_xy, cells = expected_xy[keep], cells[keep]
    seen = np.zeros(len(cells), dtype=bool)
    if len(cells) and len(detected_xy):
        for start in range(0, len(cells), 256):
            chunk = expected_xy[start:start + 256]
            d2 = ((chunk[:, None, :] - detected_xy[None, :, :]) ** 2).sum(axis=2)
            seen[start:start + 256] = d2.min(axis=1) <= match_radius ** 2
    expected = np.bincount(cells, minlength=n_cells)[:n_cells]
    found = np.bincount(cells, weights=seen, minlength=n_cells)[:n_cells]
    state = np.full(n_cells, -1, dtype=np.int8)  # -1 unknown, 0 clear, 1 cloudy
    judged = expected >= min_expected
    state[judged] = (found[judged] < clear_fraction * expected[judged]).astype(np.int8)
    if cell_background is not None:
        clear = state == 0
        if clear.any():
            reference = float(np.median(cell_background[clear]))
            rest = ~judged
            if reference > 0:
                state[rest] = (cell_background[rest] > bright_factor * reference).astype(np.int8)
    known = state >= 0
    if not known.any():
        return CloudEstimate(None, 0, "stars")
    cover = float((weights[known] * state[known]).sum() / weights[known].sum())
    return CloudEstimate(round(cover, 3), int(known.sum()), "stars")


def cloud_cover_daylight(bgr: np.ndarray, sky: np.ndarray, ratio: float = 0.6,
                         saturation: float = 0.98) -> CloudEstimate:
    """Daytime estimate from the red/blue ratio of linear BGR pixels (0..1);
    ``sky`` marks the pixels to judge (inside the circle, above 20°)."""
    if bgr.ndim != 3:
        return CloudEstimate(None, 0, "colour")
    step = 2
    b = bgr[::step, ::step, 0]
    r = bgr[::step, ::step, 2]
    use = sky[::step, ::step] & (bgr[::step, ::step].max(axis=2) < saturation) & (b > 0.002)
    if not use.any():
        return CloudEstimate(None, 0, "colour")
    cloudy = (r[use] / b[use]) > ratio
    return CloudEstimate(round(float(cloudy.mean()), 3), int(use.sum()), "colour")

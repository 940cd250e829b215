"""Drifting clouds: a seeded, periodic noise field seen in perspective.

Two periodic 1/f noise tiles (made once from the seed by filtering white
noise in Fourier space) are blended with a slowly turning weight so the
clouds change shape, and sampled on a layer 3 km above the camera (seen
in perspective over a round Earth), shifted by a steady wind: clouds crawl
across the sky and bunch up near the horizon. The fraction of sky under cloud drifts
around the configured average over a few hours. Everything depends only on
the seed and the simulated time.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

TILE = 256
PLANE_SCALE = 40.0  # tile pixels per unit of cloud height
EVOLVE_S = 4 * 3600.0
COVER_PERIOD_S = 7 * 3600.0
SOFT = 0.6
EARTH_KM = 6371.0
LAYER_KM = 3.0


def _tile(rng: np.random.Generator) -> np.ndarray:
    white = rng.standard_normal((TILE, TILE))
    fy = np.fft.fftfreq(TILE)[:, None]
    fx = np.fft.fftfreq(TILE)[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0
    spectrum = np.fft.fft2(white) / np.power(np.maximum(f, 2.0 / TILE), 1.7)
    spectrum[0, 0] = 0.0
    field = np.real(np.fft.ifft2(spectrum))
    field = (field - field.mean()) / field.std()
    return field.astype(np.float32)


class CloudField:
    def __init__(self, seed: int, cover: float, alt_deg: np.ndarray, az_deg: np.ndarray) -> None:
        rng = np.random.default_rng([seed, 7301])
        self.a = _tile(rng)
        self.b = _tile(rng)
        self.quantiles = np.sort(self.a.ravel())
        self.cover = float(cover)
        wind_dir = rng.uniform(0, 2 * math.pi)
        speed = rng.uniform(25.0, 45.0) / 3600.0  # tile pixels per second
        self.wind = (speed * math.cos(wind_dir), speed * math.sin(wind_dir))
        self.phase = rng.uniform(0, 2 * math.pi)
        # distance to the cloud layer's point on the line of sight, in layer
        # heights (a layer 3 km up over a round Earth); far away the pattern
        # would alias, so it fades into the average cloudiness there
        z = np.radians(np.clip(90.0 - alt_deg, 0.0, 90.0))
        ratio = EARTH_KM / (EARTH_KM + LAYER_KM)
        reach = EARTH_KM * (z - np.arcsin(ratio * np.sin(z))) / LAYER_KM
        self.far = np.clip((reach - 4.0) / 8.0, 0.0, 1.0).astype(np.float32)
        reach = np.minimum(reach, 12.0)
        az = np.radians(az_deg)
        self.u = (reach * np.sin(az) * PLANE_SCALE).astype(np.float32)
        self.v = (reach * np.cos(az) * PLANE_SCALE).astype(np.float32)

    def cover_at(self, t: float) -> float:
        c = self.cover
        swing = 0.6 * min(c, 1.0 - c)
        return float(np.clip(c + swing * math.sin(2 * math.pi * t / COVER_PERIOD_S + self.phase),
                             0.0, 1.0))

    def density(self, t: float) -> np.ndarray | None:
        """Cloud density 0..1 per pixel at time ``t`` (epoch seconds); None if clear."""
        cover = self.cover_at(t)
        if cover <= 0.0:
            return None
        w = 2 * math.pi * t / EVOLVE_S
        tile = math.cos(w) * self.a + math.sin(w) * self.b
        ox = (self.wind[0] * t) % TILE
        oy = (self.wind[1] * t) % TILE
        mapx = np.mod(self.u + np.float32(ox), TILE).astype(np.float32)
        mapy = np.mod(self.v + np.float32(oy), TILE).astype(np.float32)
        field = cv2.remap(tile, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
        q = self.quantiles[min(len(self.quantiles) - 1,
                               int((1.0 - cover) * (len(self.quantiles) - 1)))]
        thr = q - SOFT * cover
        dens = np.clip((field - np.float32(thr)) / np.float32(SOFT), 0.0, 1.0)
        dens = dens * (1.0 - self.far) + np.float32(min(1.0, cover * 1.3)) * self.far
        return dens.astype(np.float32)

"""Render one simulated all-sky frame.

The frame is an equidistant fisheye circle (horizon at its edge, black
outside) for the configured site and a given time. Light is computed in
full-scale units per second at gain 1 with the camera's zero point, so
exposure and gain scale the signal as on a real sensor:

1. sky background (:mod:`.skylight`) per pixel, times the pixel's solid
   angle; clouds (:mod:`.clouds`) hide the sky above them and glow with
   town light, moonlight or daylight;
2. point sources: the catalogue's bright stars, synthetic faint field
   stars (fixed positions), the moon and an occasional meteor, placed from
   RA/Dec with the local sidereal time (they turn about the celestial
   pole), dimmed by air mass and clouds, spread by the seeing (a Gaussian)
   and by defocus (a disc whose radius grows with the focuser's distance
   from the true focus);
3. the sensor: hot pixels, photon shot noise and read noise (20 000
   electrons full well at gain 1, 3 electrons read noise), clipping and
   quantisation to 8 or 16 bits.

The noise generator is seeded from the seed and the frame time, so the
same seed, time, exposure, gain and focus give the same frame, bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import cv2
import numpy as np

from zenith.imaging.geometry import Fisheye
from zenith_capture.astro import Site, airmass, moon_position, radec_to_altaz, sun_position
from zenith_capture.catalogue import bright_stars
from zenith_capture.sim import skylight
from zenith_capture.sim.clouds import CloudField

FULL_WELL_E = 20000.0
READ_NOISE_E = 3.0
EXTINCTION = 0.25  # magnitudes per air mass
FAINT_SEED = 90210
METEOR_SPEED_DEG_S = (5.0, 35.0)  # angular speeds across the sky, log-uniform
METEOR_COLOUR = skylight._bgr(0.9, 1.1, 0.9)


@dataclass(frozen=True)
class SimConfig:
    site: Site
    width: int = 1280
    height: int = 960
    bit_depth: int = 8
    seed: int = 1
    zero_point: float = -0.3
    sky_mag: float = 21.0
    clouds: float = 0.25
    seeing_px: float = 1.0
    blur_per_step: float = 0.02
    true_focus: int = 1000
    meteor_rate: float = 10.0
    hot_pixels: int = 40
    faint_stars: int = 4000
    lens: Fisheye | None = None

    @property
    def fisheye(self) -> Fisheye:
        return self.lens or Fisheye.centered(self.width, self.height)


def _faint_field(count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(FAINT_SEED)
    ra = rng.uniform(0.0, 360.0, count)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, count)))
    lo, hi = 10 ** (0.5 * 3.8), 10 ** (0.5 * 6.2)
    mag = 2.0 * np.log10(lo + rng.uniform(0.0, 1.0, count) * (hi - lo))
    bv = np.clip(rng.normal(0.6, 0.45, count), -0.3, 1.9)
    return ra, dec, mag, bv


@dataclass(frozen=True)
class SimMeteor:
    """A meteor the last frame drew (start and end, pixels; peak magnitude;
    ``track``: the points it was drawn as, rows of x, y and flux in
    full-scale/s at gain 1 before the point spread function, so a benchmark
    can redraw its light alone and measure its signal-to-noise)."""

    x0: float
    y0: float
    x1: float
    y1: float
    mag: float
    track: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)), repr=False, compare=False)


class SkyRenderer:
    """Precomputes the lens grid once; :meth:`render` draws a frame
    (:attr:`meteors_drawn`: the meteors in it, for benchmarks)."""

    meteors_drawn: list[SimMeteor]

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.lens = config.fisheye
        w, h = config.width, config.height
        alt, az = self.lens.altaz_grid(w, h)
        self.alt, self.az = alt, az
        self.inside = alt >= 0.0
        alt_r, az_r = np.radians(alt), np.radians(az)
        self.vec = np.stack(
            [np.cos(alt_r) * np.sin(az_r), np.cos(alt_r) * np.cos(az_r), np.sin(alt_r)]
        ).astype(np.float32)
        zen = np.radians(np.clip(90.0 - alt, 1e-6, 90.0))
        solid = np.sin(zen) / zen
        pix_area = self.lens.pixel_scale_arcsec**2
        self.area = np.where(self.inside, solid * pix_area, 0.0).astype(np.float32)
        self.horizon = np.where(
            self.inside, (1.0 - np.sin(np.radians(np.clip(alt, 0, 90)))), 0.0
        ).astype(np.float32)
        self.airglow = np.where(self.inside, skylight.van_rhijn(alt), 0.0).astype(np.float32)
        self.clouds = CloudField(config.seed, config.clouds, alt, az)
        self.meteors_drawn = []
        cat = bright_stars()
        fra, fdec, fmag, fbv = _faint_field(config.faint_stars)
        self.ra = np.concatenate([cat.ra_deg, fra])
        self.dec = np.concatenate([cat.dec_deg, fdec])
        self.mag = np.concatenate([cat.vmag, fmag])
        self.colour = skylight.star_colour(np.concatenate([cat.bv, fbv]))
        rng = np.random.default_rng([config.seed, 4242])
        n = config.hot_pixels
        self.hot_y = rng.integers(0, h, n)
        self.hot_x = rng.integers(0, w, n)
        self.hot_rate = np.exp(rng.uniform(math.log(0.005), math.log(0.5), n))

    # -- light -----------------------------------------------------------
    def _angle_to(self, alt: float, az: float) -> np.ndarray:
        a, z = math.radians(alt), math.radians(az)
        v = (math.cos(a) * math.sin(z), math.cos(a) * math.cos(z), math.sin(a))
        dot = self.vec[0] * v[0] + self.vec[1] * v[1] + self.vec[2] * v[2]
        return np.degrees(np.arccos(np.clip(dot, -1.0, 1.0)))

    def sky(self, when: datetime) -> tuple[np.ndarray, float, float]:
        """Sky light per pixel (H, W, 3) in full-scale/s at gain 1, plus the
        zenith night and sunlight fluxes per arcsec² (for cloud glow)."""
        cfg = self.config
        zp = cfg.zero_point
        h, w = self.alt.shape
        out = np.zeros((h, w, 3), dtype=np.float32)
        night = float(skylight.mag_to_flux(cfg.sky_mag, zp))
        lum = night * self.airglow
        out += lum[:, :, None] * skylight.NIGHT
        sun = sun_position(cfg.site, when)
        day = float(skylight.mag_to_flux(skylight.sunlight_zenith_mag(sun.alt), zp))
        if day > night * 1e-3:
            gamma = self._angle_to(sun.alt, sun.az)
            gz = 1.0 + 3.0 * math.exp(-(90.0 - sun.alt) / 25.0)
            shape = (1.0 + 3.0 * np.exp(-gamma / 25.0)) * (1.0 + 1.5 * self.horizon**3) / gz
            if sun.alt > -1.0:
                shape = shape + 60.0 * np.exp(-gamma / 3.0) + 6.0 * np.exp(-gamma / 12.0)
            warm = (
                np.exp(-gamma / 30.0)
                * self.horizon**2
                * float(np.clip((12.0 - sun.alt) / 12.0, 0.0, 1.0))
            )
            warm = warm.astype(np.float32)[:, :, None]
            colour = skylight.DAY * (1.0 - warm) + skylight.WARM * warm
            out += (day * shape).astype(np.float32)[:, :, None] * colour
        moon = moon_position(cfg.site, when)
        moon_mag = skylight.moonlight_zenith_mag(moon.alt, moon.illumination)
        moonlight = 0.0
        if moon_mag is not None:
            moonlight = float(skylight.mag_to_flux(moon_mag, zp))
            gamma = self._angle_to(moon.alt, moon.az)
            shape = (1.0 + 4.0 * np.exp(-gamma / 15.0)) * (1.0 + 1.0 * self.horizon**3)
            out += (moonlight * shape).astype(np.float32)[:, :, None] * skylight.DAY
        t = when.timestamp()
        dens = self.clouds.density(t)
        if dens is not None:
            d = np.where(self.inside, dens, 0.0).astype(np.float32)
            glow = (
                night * 2.5 * skylight.TOWN
                + moonlight * 1.5 * skylight.WHITE
                + day * 2.5 * skylight.WHITE
            ).astype(np.float32)
            thick = (1.25 - 0.45 * d * d)[:, :, None]
            out = out * (1.0 - 0.7 * d)[:, :, None] + (d[:, :, None] * thick) * glow
        out *= self.area[:, :, None]
        self._density = dens
        return out, night, day

    def point_sources(
        self, when: datetime, exposure_s: float, rng: np.random.Generator
    ) -> np.ndarray:
        """Stars, moon and meteors (H, W, 3), before the point spread function."""
        cfg = self.config
        h, w = self.alt.shape
        alt, az = radec_to_altaz(self.ra, self.dec, when, cfg.site)
        up = alt > 0.5
        mags = self.mag[up] + EXTINCTION * airmass(alt[up])
        xs, ys = self.lens.altaz_to_xy(alt[up], az[up])
        colours = self.colour[up]
        moon = moon_position(cfg.site, when)
        if moon.alt > 0.0 and moon.illumination > 0.01:
            mx, my = self.lens.altaz_to_xy(np.array([moon.alt]), np.array([moon.az]))
            xs, ys = np.concatenate([xs, mx]), np.concatenate([ys, my])
            mags = np.concatenate([mags, [skylight.moon_magnitude(moon.illumination)]])
            colours = np.concatenate([colours, skylight.WHITE[None, :]])
        flux = skylight.mag_to_flux(mags, cfg.zero_point)
        dens = getattr(self, "_density", None)
        if dens is not None and len(xs):
            ix = np.clip(np.rint(xs).astype(int), 0, w - 1)
            iy = np.clip(np.rint(ys).astype(int), 0, h - 1)
            flux = flux * np.exp(-3.5 * dens[iy, ix])
        mx2, my2, mflux = self._meteors(exposure_s, rng)
        if mflux.size:
            xs = np.concatenate([xs, mx2])
            ys = np.concatenate([ys, my2])
            flux = np.concatenate([flux, mflux])
            colours = np.concatenate([colours, np.tile(METEOR_COLOUR, (mflux.size, 1))])
        return _splat(xs, ys, flux[:, None] * colours, w, h)

    def _meteors(
        self, exposure_s: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Meteors of this exposure, as points every half pixel along their tracks.

        The model (checked against the photon budget of the simulated camera):

        - a meteor of peak magnitude ``mag`` (uniform in -2..3) brings the flux of
          a star of that magnitude (``mag_to_flux`` with the camera's zero point,
          no extinction: a meteor's magnitude is the one seen from the site),
          along a light curve ``sin(pi s) ** 0.7`` that peaks mid-track;
        - it crosses the sky at an angular speed log-uniform in
          ``METEOR_SPEED_DEG_S`` (meteors at 30-70 km/s, 100-300 km away and at
          any angle to their radiant: mostly 5-20 °/s, a few faster), so each
          pixel of its track collects light for ``pixel scale / speed`` seconds
          (5-40 ms at 0.19 °/px), not for the exposure: the trailing loss. Its
          track is 40-250 px long at a 480 px horizon radius (7-47°);
        - the sensor then sees it as any light (seeing, defocus, shot noise).

        At 1280x960 (0.19 °/px), 30 s, gain 2 under a 21 mag/arcsec² sky the sky
        gives about 830 e- per pixel (29 e- noise, 41 e- in a difference of two
        frames) and a mag 0 star about 15 000 e-/s; a mag 0 meteor at 14 °/s
        leaves about 200 e- per pixel of track, about 80 e- in its brightest
        pixel: 2 sigma of the difference per pixel, about 2.7 sqrt(length px)
        sigma summed over the whole track (30 for 120 px). A mag 2 meteor gives
        a sixth of that, mag 3 a sixteenth: near a detector's limit however it
        adds up the track. A 30 s frame reaches stars of about mag 7 (a mag 6
        star's peak pixel is 10 sigma), so meteors much fainter than mag 1 are
        beyond what a long exposure records, as on real all-sky cameras (video
        meteor cameras, 40 ms a frame, lose far less and reach mag +2..+4).
        """
        cfg = self.config
        count = min(3, int(rng.poisson(cfg.meteor_rate * exposure_s / 3600.0)))
        self.meteors_drawn = []
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        fl: list[np.ndarray] = []
        scale_deg = self.lens.pixel_scale_arcsec / 3600.0
        for _ in range(count):
            r = self.lens.radius * math.sqrt(rng.uniform(0.0, 0.5))
            a0 = rng.uniform(0, 2 * math.pi)
            x0, y0 = self.lens.cx + r * math.cos(a0), self.lens.cy + r * math.sin(a0)
            direction = rng.uniform(0, 2 * math.pi)
            length = rng.uniform(40.0, 250.0) * self.lens.radius / 480.0
            mag = rng.uniform(-2.0, 3.0)
            lo, hi = METEOR_SPEED_DEG_S
            speed = math.exp(rng.uniform(math.log(lo), math.log(hi)))  # degrees per second
            n = max(2, int(length * 2))
            s = np.linspace(0.0, 1.0, n)
            profile = np.sin(np.pi * s) ** 0.7
            dwell = scale_deg / speed / 2.0  # seconds per half-pixel step
            peak = float(skylight.mag_to_flux(mag, cfg.zero_point)) * dwell / exposure_s
            xs.append(x0 + s * length * math.cos(direction))
            ys.append(y0 + s * length * math.sin(direction))
            fl.append(peak * profile)
            self.meteors_drawn.append(
                SimMeteor(
                    x0,
                    y0,
                    x0 + length * math.cos(direction),
                    y0 + length * math.sin(direction),
                    mag,
                    np.stack([xs[-1], ys[-1], fl[-1]], axis=1),
                )
            )
        if not xs:
            empty = np.zeros(0)
            return empty, empty, empty
        return np.concatenate(xs), np.concatenate(ys), np.concatenate(fl)

    def psf(self, image: np.ndarray, focus_position: int | None) -> np.ndarray:
        cfg = self.config
        out = cv2.GaussianBlur(image, (0, 0), cfg.seeing_px)
        radius = self.defocus_radius(focus_position)
        if radius >= 0.5:
            size = math.ceil(radius) * 2 + 1
            kernel = np.zeros((size, size), dtype=np.float32)
            c = size // 2
            cv2.circle(kernel, (c, c), round(radius), 1.0, -1, lineType=cv2.LINE_AA)
            kernel /= kernel.sum()
            out = cv2.filter2D(out, -1, kernel, borderType=cv2.BORDER_CONSTANT)
        return out

    def defocus_radius(self, focus_position: int | None) -> float:
        if focus_position is None:
            return 0.0
        return self.config.blur_per_step * abs(focus_position - self.config.true_focus)

    # -- the frame -------------------------------------------------------
    def render(
        self,
        when: datetime,
        exposure_s: float,
        gain: float,
        focus_position: int | None = None,
        dark: bool = False,
    ) -> np.ndarray:
        """A frame (``uint8`` or ``uint16``, HxWx3 BGR) exposed from ``when``;
        ``dark``: the lens capped (only hot pixels and noise)."""
        cfg = self.config
        when = when.astimezone(UTC)
        ms = round(when.timestamp() * 1000)
        rng = np.random.default_rng([cfg.seed & 0xFFFFFFFF, ms & 0xFFFFFFFF, ms >> 32])
        scale = np.float32(exposure_s * gain)
        if dark:
            self.meteors_drawn = []
            signal = np.zeros((*self.alt.shape, 3), dtype=np.float32)
        else:
            sky, _, _ = self.sky(when)
            points = self.psf(self.point_sources(when, exposure_s, rng), focus_position)
            points *= self.inside[:, :, None]
            signal = (sky + points) * scale
        if cfg.hot_pixels:
            signal[self.hot_y, self.hot_x, :] += (self.hot_rate * exposure_s * gain)[:, None]
        electrons = np.maximum(signal, 0.0) * np.float32(FULL_WELL_E / gain)
        electrons += np.float32(READ_NOISE_E**2)
        noise = rng.standard_normal(signal.shape, dtype=np.float32)
        signal += np.sqrt(electrons) * noise * np.float32(gain / FULL_WELL_E)
        top = (1 << cfg.bit_depth) - 1
        signal *= np.float32(top)
        np.clip(signal, 0, top, out=signal)
        dtype = np.uint8 if cfg.bit_depth == 8 else np.uint16
        return np.rint(signal).astype(dtype)


def _splat(xs: np.ndarray, ys: np.ndarray, values: np.ndarray, w: int, h: int) -> np.ndarray:
    """Add point values (N, 3) into an image with bilinear weights."""
    out = np.zeros((h, w, 3), dtype=np.float32)
    if xs.size == 0:
        return out
    x0 = np.floor(xs).astype(np.int64)
    y0 = np.floor(ys).astype(np.int64)
    fx, fy = xs - x0, ys - y0
    size = h * w
    for dx, dy, wt in (
        (0, 0, (1 - fx) * (1 - fy)),
        (1, 0, fx * (1 - fy)),
        (0, 1, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        xi, yi = x0 + dx, y0 + dy
        ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        idx = yi[ok] * w + xi[ok]
        for c in range(3):
            acc = np.bincount(idx, weights=values[ok, c] * wt[ok], minlength=size)
            out[:, :, c] += acc.reshape(h, w).astype(np.float32)
    return out

"""Meteor detection on a seeded simulated night: recall and false positives.

    .venv/bin/python bench/meteors/run.py [--quick] [--out bench/results/meteors.json]

The capture simulator (``SkyRenderer``, what ``zenith dev`` shows) renders
back-to-back exposures of a moonless night at 52° N (the seed fixes stars,
noise, hot pixels and meteors) and records the meteors it drew; every frame
goes through what the capture service does with a night frame: the dark
subtraction (a dark recorded first, the lens "capped") and
:class:`MeteorDetector` against the previous frame.

- clear: ``hours`` of clear sky with a raised meteor rate (so there are
  enough to count): recall (a simulated meteor found in its frame: a
  candidate within 10 px of its line, within 15° of its direction), recall
  by peak magnitude (one-magnitude bins: the simulated camera's photon budget
  puts most meteors fainter than about 0 below its noise, see
  ``zenith_capture.sim.render``), recall by the streak's integrated
  signal-to-noise (:func:`streak_snr`: its light alone, redrawn from the
  simulator's record of its track, summed over a strip 3 px wide along it,
  over the difference image's noise of as many pixels; what any line
  detector has to work with), the share of meteors below SNR 5 and 7, the
  median SNR per magnitude, false positives per hour;
- cloudy: half the length with moving clouds (cover 0.6) and no meteors:
  candidates per hour (every one is false), frames the cloud gate left out
  whole, and the mean fraction of the sky it left out.

Single-threaded; CPU seconds per frame are reported, too.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from zenith.config import load_settings
from zenith.imaging.decode import image_from_array, luminance
from zenith_capture.backends.base import RawFrame
from zenith_capture.backends.simulator import sim_config
from zenith_capture.darks import LoadedDark
from zenith_capture.lens import lens_for
from zenith_capture.meteors import Candidate, MeteorDetector
from zenith_capture.settings import CaptureSettings
from zenith_capture.sim.render import METEOR_COLOUR, SimMeteor, SkyRenderer, _splat

START = datetime(2026, 11, 9, 19, 0, tzinfo=UTC)  # new moon, dark by 19:00 UTC at 5° E
EXPOSURE_S = 30.0
GAIN = 2.0  # the sky at about 0.14 of full scale, near the night target
WIDTH, HEIGHT = 1280, 960  # the capture default
MAG_BINS = (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0)  # the simulator draws peak magnitudes -2..3
SNR_BINS = (0.0, 3.0, 5.0, 7.0, 10.0, 20.0, math.inf)  # the streak's integrated SNR
STRIP_HALF_PX = 1.5  # the strip along a streak its SNR is summed over: 3 px wide


def settings(clouds: float, meteor_rate: float, seed: int) -> CaptureSettings:
    return load_settings(
        CaptureSettings,
        env={},
        camera="bench",
        latitude=52.0,
        longitude=5.0,
        capture_width=WIDTH,
        capture_height=HEIGHT,
        capture_sim_seed=seed,
        capture_sim_clouds=clouds,
        capture_sim_meteor_rate=meteor_rate,
        capture_sim_faint_stars=3000,
        capture_sim_bit_depth=16,
    )


def dark_for(renderer: SkyRenderer, frames: int = 4) -> LoadedDark:
    from zenith.contracts.capture import DarkDoc

    total = None
    for i in range(frames):
        px = (
            renderer.render(
                START - timedelta(hours=3, seconds=i * 31), EXPOSURE_S, GAIN, dark=True
            ).astype(np.float32)
            / 65535.0
        )
        total = px if total is None else total + px
    assert total is not None
    dark = total / frames
    doc = DarkDoc(
        id="bench",
        camera="bench",
        exposure_s=EXPOSURE_S,
        gain=GAIN,
        frames=frames,
        width=dark.shape[1],
        height=dark.shape[0],
        channels=3,
        bit_depth=16,
        hot_pixels=0,
        key="-",
        created_at=START,
    )
    return LoadedDark.make(doc, dark)


def matches(c: Candidate, m: SimMeteor) -> bool:
    dx, dy = m.x1 - m.x0, m.y1 - m.y0
    norm = math.hypot(dx, dy) or 1.0
    mx, my = (c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2
    t = ((mx - m.x0) * dx + (my - m.y0) * dy) / norm**2
    if not -0.2 <= t <= 1.2:
        return False
    if abs((mx - m.x0) * dy - (my - m.y0) * dx) / norm > 10.0:
        return False
    a = math.degrees(math.atan2(dy, dx)) % 180.0
    delta = abs(a - c.angle_deg)
    return min(delta, 180.0 - delta) <= 15.0


def in_sky(m: SimMeteor, renderer: SkyRenderer) -> bool:
    lens = renderer.lens
    mx, my = (m.x0 + m.x1) / 2, (m.y0 + m.y1) / 2
    return math.hypot(mx - lens.cx, my - lens.cy) < lens.radius * 0.95


def streak_snr(m: SimMeteor, renderer: SkyRenderer, change: np.ndarray) -> float:
    """The streak's integrated signal-to-noise in the difference image (grey,
    full scale): its light alone (redrawn from the simulator's track through
    the same point spread function) summed over a strip 3 px wide along its
    track, over the noise of as many pixels of the difference (the robust
    spread of the difference less the streak, around it)."""
    pad = 16
    h, w = change.shape
    x0, x1 = max(0, int(min(m.x0, m.x1)) - pad), min(w, int(max(m.x0, m.x1)) + pad + 1)
    y0, y1 = max(0, int(min(m.y0, m.y1)) - pad), min(h, int(max(m.y0, m.y1)) + pad + 1)
    if x1 <= x0 or y1 <= y0 or not len(m.track):
        return 0.0
    track = m.track
    light = _splat(
        track[:, 0] - x0, track[:, 1] - y0, track[:, 2:3] * METEOR_COLOUR[None, :], x1 - x0, y1 - y0
    )
    light = renderer.psf(light, None) * np.float32(EXPOSURE_S * GAIN)
    model = luminance(light.astype(np.float32))
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    dx, dy = m.x1 - m.x0, m.y1 - m.y0
    norm2 = max(dx * dx + dy * dy, 1e-9)
    t = np.clip(((xx - m.x0) * dx + (yy - m.y0) * dy) / norm2, 0.0, 1.0)
    dist = np.hypot(xx - (m.x0 + t * dx), yy - (m.y0 + t * dy))
    inside = renderer.inside[y0:y1, x0:x1]
    strip = (dist <= STRIP_HALF_PX) & inside
    resid = (change[y0:y1, x0:x1] - model)[inside]
    if strip.sum() == 0 or resid.size < 50:
        return 0.0
    sigma = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    return float(model[strip].sum()) / (max(sigma, 1e-12) * math.sqrt(int(strip.sum())))


def _bands(
    values: list[float], hits: list[bool], edges: tuple[float, ...], name: str, fmt: str
) -> dict[str, dict[str, Any]]:
    out: dict[str, list[int]] = {}
    keys = [
        f"{name} {format(lo, fmt)}..{format(hi, fmt) if math.isfinite(hi) else ''}"
        for lo, hi in itertools.pairwise(edges)
    ]
    for k in keys:
        out[k] = [0, 0]
    for v, h in zip(values, hits, strict=True):
        i = len(edges) - 2
        for j in range(len(edges) - 1):
            if v < edges[j + 1]:
                i = j
                break
        out[keys[max(i, 0)]][0] += int(h)
        out[keys[max(i, 0)]][1] += 1
    return {
        k: {"found": v[0], "of": v[1], "recall": round(v[0] / v[1], 3) if v[1] else None}
        for k, v in out.items()
    }


def run_night(clouds: float, rate: float, hours: float, seed: int) -> dict[str, Any]:
    from zenith_capture.darks import DarkLibrary

    s = settings(clouds, rate, seed)
    renderer = SkyRenderer(sim_config(s))
    library = DarkLibrary(None, None, "bench")  # type: ignore[arg-type]
    library.darks = [dark_for(renderer)]
    detector = MeteorDetector(lens_for(s, s.capture_width, s.capture_height))
    frames = int(hours * 3600 / EXPOSURE_S)
    truth: list[tuple[int, SimMeteor]] = []
    found: list[tuple[int, Candidate]] = []
    withdrawn = 0
    skipped = 0
    clouded = 0.0
    cpu = 0.0
    snrs: list[float] = []
    prev_grey: np.ndarray | None = None
    for i in range(frames):
        when = START + timedelta(seconds=i * EXPOSURE_S)
        pixels = renderer.render(when, EXPOSURE_S, GAIN)
        drawn = [m for m in renderer.meteors_drawn if in_sky(m, renderer)]
        truth += [(i, m) for m in drawn]
        started = time.process_time()
        raw = library.subtract(
            RawFrame(pixels=pixels, taken_at=when, exposure_s=EXPOSURE_S, gain=GAIN, bit_depth=16)
        )
        image = image_from_array(raw.pixels, 16)
        result = detector.detect(image, when)
        cpu += time.process_time() - started
        grey = image.gray()
        for m in drawn:  # the first frame has no previous one: nothing to find there
            snrs.append(streak_snr(m, renderer, grey - prev_grey) if prev_grey is not None else 0.0)
        prev_grey = grey
        withdrawn += len(result.withdrawn)
        skipped += int(result.skipped == "the sky changed")
        clouded += result.clouded
        for w in result.withdrawn:
            found = [(j, c) for j, c in found if c is not w]
        found += [(i, c) for c in result.candidates]
    hit = [any(j == i and matches(c, m) for j, c in found) for i, m in truth]
    true_pos = {id(c) for j, c in found if any(i == j and matches(c, m) for i, m in truth)}
    false_pos = [c for _, c in found if id(c) not in true_pos]
    by_mag: dict[str, list[int]] = {
        f"mag {lo:+.0f}..{hi:+.0f}": [0, 0] for lo, hi in itertools.pairwise(MAG_BINS)
    }
    for (_, m), h in zip(truth, hit, strict=True):
        i = min(max(math.floor(m.mag - MAG_BINS[0]), 0), len(MAG_BINS) - 2)
        band = f"mag {MAG_BINS[i]:+.0f}..{MAG_BINS[i + 1]:+.0f}"
        by_mag[band][0] += int(h)
        by_mag[band][1] += 1
    brighter = [h for (_, m), h in zip(truth, hit, strict=True) if m.mag < 0.0]
    snr_by_mag = {}
    for lo, hi in itertools.pairwise(MAG_BINS):
        band = [v for (_, m), v in zip(truth, snrs, strict=True) if lo <= m.mag < hi]
        snr_by_mag[f"mag {lo:+.0f}..{hi:+.0f}"] = {
            "median": round(float(np.median(band)), 1) if band else None,
            "below_5": round(float(np.mean(np.array(band) < 5.0)), 3) if band else None,
        }
    above = [h for v, h in zip(snrs, hit, strict=True) if v >= 7.0]
    return {
        "hours": hours,
        "frames": frames,
        "clouds": clouds,
        "meteor_rate_per_h": rate,
        "meteors": len(truth),
        "found": int(sum(hit)),
        "recall": round(sum(hit) / len(truth), 3) if truth else None,
        "recall_by_magnitude": {
            k: {"found": v[0], "of": v[1], "recall": round(v[0] / v[1], 3) if v[1] else None}
            for k, v in by_mag.items()
        },
        "recall_brighter_than_mag_0": round(sum(brighter) / len(brighter), 3) if brighter else None,
        "recall_by_snr": _bands(snrs, hit, SNR_BINS, "snr", ".0f"),
        "recall_snr_7_or_more": round(sum(above) / len(above), 3) if above else None,
        "meteors_below_snr_5": round(float(np.mean(np.array(snrs) < 5.0)), 3) if snrs else None,
        "meteors_below_snr_7": round(float(np.mean(np.array(snrs) < 7.0)), 3) if snrs else None,
        "snr_by_magnitude": snr_by_mag,
        "candidates": len(found),
        "false_positives": len(false_pos),
        "false_positives_per_hour": round(len(false_pos) / hours, 2),
        "withdrawn_as_tracks": withdrawn,
        "cpu_ms_per_frame": round(cpu / frames * 1000, 1),
        "frames_skipped_sky_changed": skipped,
        "sky_left_out_by_cloud_gate": round(clouded / frames, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="an hour each, for a smoke run")
    parser.add_argument("--out", type=Path, default=Path("bench/results/meteors.json"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    hours = 1.0 if args.quick else 4.0
    clear = run_night(0.0, 60.0, hours, args.seed)
    print("clear:", json.dumps(clear), file=sys.stderr)
    cloudy = run_night(0.6, 0.0, hours / 2, args.seed)
    print("cloudy:", json.dumps(cloudy), file=sys.stderr)
    result = {
        "what": "meteor detection on a seeded simulated night (capture simulator, "
        f"{WIDTH}x{HEIGHT} 16-bit, 30 s exposures back to back, gain 2, dark "
        "subtracted; recall over every meteor the simulator drew in the sky, "
        "peak magnitudes uniform in -2..3)",
        "seed": args.seed,
        "clear": clear,
        "cloudy": {
            k: cloudy[k]
            for k in (
                "hours",
                "frames",
                "clouds",
                "candidates",
                "cpu_ms_per_frame",
                "frames_skipped_sky_changed",
                "sky_left_out_by_cloud_gate",
            )
        }
        | {"candidates_per_hour": round(cloudy["candidates"] / cloudy["hours"], 2)},
        "aim": {
            "recall": ">= 0.9 (of the simulator's meteors)",
            "false_positives_per_hour": "<= 1",
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

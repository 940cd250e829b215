"""Sky metrics per frame: what capture spends measuring each frame.

    .venv/bin/python bench/capture/skymetrics.py [--repeat 15] [--out bench/results/skymetrics.json]

A node measures every frame it takes, and a hub every live image an
AllSkyKamera camera uploads (``zenith_capture.skymetrics.SkyMeter.measure``:
background, stars and their HFR, sharpness, SQM, cloud cover). Five
1920x1080 frames of the simulator, through a JPEG as an upload is: a clear,
a half-cloudy and a cloudy night, late twilight and day (a sky that
saturates: its residuals are mostly exactly 0). For each, the median CPU
time of ``--repeat`` measures in one thread (OpenCV single-threaded, as
capture runs it), the stars found, and as the baseline of the same run the
median CPU time of decoding the same JPEG (``cv2.imdecode``), with the ratio
of the two: a machine's speed moves both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "hub"))

from run import write_result  # type: ignore[import-not-found,unused-ignore]  # noqa: E402

RESULT = ROOT / "bench" / "results" / "skymetrics.json"
SKIES = (  # name, UTC time, cloud cover of the simulator, exposure s
    ("clear night", datetime(2026, 12, 1, 22, 0, tzinfo=UTC), 0.0, 20.0),
    ("half-cloudy night", datetime(2026, 12, 1, 23, 30, tzinfo=UTC), 0.5, 20.0),
    ("cloudy night", datetime(2026, 12, 2, 2, 0, tzinfo=UTC), 0.9, 20.0),
    ("late twilight", datetime(2026, 12, 1, 16, 0, tzinfo=UTC), 0.2, 1.0),
    ("day", datetime(2026, 12, 1, 11, 0, tzinfo=UTC), 0.4, 0.001),
)


def cpu_ms(fn: Any, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.thread_time()
        fn()
        times.append(time.thread_time() - start)
    return round(1000 * statistics.median(times), 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    from zenith.imaging.decode import image_from_array
    from zenith_capture.astro import Site, sun_altitude
    from zenith_capture.settings import CaptureSettings
    from zenith_capture.sim.render import SimConfig, SkyRenderer
    from zenith_capture.skymetrics import SkyMeter

    cv2.setNumThreads(1)
    site = Site(52.0, 13.0, 50.0)
    meter = SkyMeter(CaptureSettings(latitude=site.latitude, longitude=site.longitude,
                                     elevation=site.elevation))
    frames: list[dict[str, Any]] = []
    for n, (name, when, clouds, exposure) in enumerate(SKIES):
        renderer = SkyRenderer(SimConfig(site=site, width=1920, height=1080, seed=n + 1,
                                         clouds=clouds))
        ok, data = cv2.imencode(".jpg", renderer.render(when, exposure, 2.0, 1000),
                                [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
        buffer = np.frombuffer(data.tobytes(), np.uint8)
        pixels = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
        assert pixels is not None
        image = image_from_array(pixels, 8)
        sun = sun_altitude(site, when)
        found = meter.measure(image, when, exposure, 2.0, sun)
        measure = cpu_ms(lambda i=image, w=when, e=exposure, s=sun:
                         meter.measure(i, w, e, 2.0, s), args.repeat)
        decode = cpu_ms(lambda b=buffer: cv2.imdecode(b, cv2.IMREAD_COLOR), args.repeat)
        frames.append({"sky": name, "sun_altitude": round(sun, 1), "stars": found.stars,
                       "measure_cpu_ms": measure, "decode_cpu_ms": decode,
                       "measure_over_decode": round(measure / decode, 2)})
    result = {
        "machine": {"python": sys.version.split()[0]},
        "frame": "1920x1080, simulator, JPEG quality 90",
        "frames": frames,
        "median_measure_cpu_ms": statistics.median(float(f["measure_cpu_ms"])
                                                   for f in frames),
        "median_measure_over_decode": statistics.median(float(f["measure_over_decode"])
                                                        for f in frames),
    }
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

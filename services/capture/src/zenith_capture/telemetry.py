"""Prometheus metrics of the capture service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

FRAMES_SAVED = Counter("zenith_capture_frames_total", "Frames saved.", ["camera"])
REJECTED = Counter("zenith_capture_frames_rejected_total",
                   "Input frames skipped, by reason (corrupt, truncated, empty, duplicate, "
                   "wrong_size, unreadable, storage, error).", ["reason"])
WATCHDOG_RESTARTS = Counter("zenith_capture_watchdog_restarts_total",
                            "Camera restarts by the watchdog, by reason.", ["reason"])
EXPOSURE = Gauge("zenith_capture_exposure_seconds", "Exposure of the last frame.", ["camera"])
GAIN = Gauge("zenith_capture_gain", "Gain of the last frame.", ["camera"])
SUN_ALTITUDE = Gauge("zenith_capture_sun_altitude_degrees", "Sun altitude at the last frame.",
                     ["camera"])
PROCESS_SECONDS = Histogram("zenith_capture_process_seconds",
                            "Time to analyse, encode and store one frame.",
                            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10))
INDEXED_BY_THREADS = Counter("zenith_capture_index_by_threads_total",
                             "Uploaded frames the niced threads indexed instead of the idle "
                             "worker processes, by reason (late: the cores were busy past the "
                             "wait; broken: a worker process died).", ["reason"])

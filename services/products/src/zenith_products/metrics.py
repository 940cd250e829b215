"""Prometheus metrics of the products service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

FRAME_OUTCOMES = Counter(
    "zenith_products_frames_total",
    "Frame events handled, by outcome (applied, duplicate, day, late, empty, truncated, "
    "corrupt, missing, invalid, resized).",
    ["camera", "outcome"],
)
PRODUCTS = Counter(
    "zenith_products_written_total", "Products written, by kind and finality.",
    ["camera", "kind", "final"],
)
CHECKPOINTS = Counter(
    "zenith_products_checkpoints_total", "Checkpoints committed.", ["camera"],
)
NIGHTS = Counter(
    "zenith_products_nights_finished_total", "Nights finished, by trigger (sunrise, next-night, "
    "timer, shutdown-render).", ["camera", "trigger"],
)
FRAME_SECONDS = Histogram(
    "zenith_products_frame_seconds", "Time to read, decode and apply one frame.",
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
)
CAMERAS = Gauge("zenith_products_cameras_owned", "Cameras this worker holds the lease of.")
RETENTION = Counter(
    "zenith_products_retention_deleted_total", "Blobs deleted by retention, by type.", ["type"],
)
RETENTION_BYTES = Counter(
    "zenith_products_retention_bytes_total", "Bytes freed by retention.",
)


def count_frame(camera: str, outcome: str) -> None:
    FRAME_OUTCOMES.labels(camera, outcome).inc()

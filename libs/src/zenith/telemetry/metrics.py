"""Prometheus metrics shared by every service, and the metrics server."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

BUS_REQUESTS = Counter(
    "zenith_bus_requests_total", "Bus requests handled, by endpoint and outcome.",
    ["service", "endpoint", "outcome"],
)
BUS_SECONDS = Histogram(
    "zenith_bus_request_seconds", "Time to handle one bus request.",
    ["service", "endpoint"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_PUBLISHED = Counter("zenith_events_published_total",
                           "Events published on JetStream, by event.", ["event"])
EVENTS_UNPUBLISHED = Counter("zenith_events_unpublished_total",
                             "Events that could not be published, by event.", ["event"])
SERVICE_UP = Gauge("zenith_service_up", "1 while the service runs.", ["service"])
NATS_CONNECTED = Gauge("zenith_nats_connected", "1 while connected to NATS.", ["service"])


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Expose /metrics on ``port`` (0 turns it off)."""
    if port:
        start_http_server(port, addr=host)

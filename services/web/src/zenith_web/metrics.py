"""Prometheus metrics of the web service."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "zenith_web_http_requests_total", "HTTP requests answered, by route, method and status.",
    ["route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "zenith_web_http_request_seconds", "Time to answer one HTTP request.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
AUTH_REFUSED = Counter(
    "zenith_web_auth_refused_total", "Requests refused by the auth middleware, by reason.",
    ["reason"],
)

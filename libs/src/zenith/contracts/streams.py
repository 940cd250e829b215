"""JetStream streams and KV buckets, declared in one place.

``zenith.bus.jetstream.ensure_jetstream`` creates them idempotently; every
service calls it at start, so no service depends on another to set them up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_s: float = 0  # 0: keep until limits
    max_bytes: int = -1
    max_msgs_per_subject: int = -1
    duplicate_window_s: float = 120.0


@dataclass(frozen=True)
class BucketSpec:
    name: str
    description: str
    owner: str  # the service that writes it (the only one)
    readers: tuple[str, ...] = ()  # other services that may read it
    history: int = 1
    ttl_s: float = 0


DAY = 86400.0

STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec("FRAMES", ("zenith.frames.>",), "A frame was captured and stored.",
               max_age_s=30 * DAY, max_bytes=512 * 1024 * 1024, duplicate_window_s=3600),
    StreamSpec("SENSORS", ("zenith.sensors.>",), "Sensor and sky-metric readings.",
               max_age_s=7 * DAY, max_bytes=256 * 1024 * 1024),
    StreamSpec("PRODUCTS", ("zenith.products.>",), "A product (keogram, video...) is ready.",
               max_age_s=90 * DAY, max_bytes=128 * 1024 * 1024, duplicate_window_s=3600),
    StreamSpec("STATUS", ("zenith.status.>",), "Latest status of each camera and service.",
               max_msgs_per_subject=1),
    StreamSpec("EVENTS", ("zenith.events.>",), "Operational events: watchdog, disk, restarts.",
               max_age_s=30 * DAY, max_bytes=64 * 1024 * 1024),
    StreamSpec("ALERTS", ("zenith.alerts.>",), "Alerts starting and ending (sensors rules).",
               max_age_s=90 * DAY, max_bytes=32 * 1024 * 1024),
    StreamSpec("METEORS", ("zenith.meteors.>",), "Meteor candidates saved or withdrawn "
               "on a node (what its uplink sends).",
               max_age_s=90 * DAY, max_bytes=32 * 1024 * 1024, duplicate_window_s=3600),
    StreamSpec("INGEST", ("zenith.ingest.>",), "Uploads staged on a hub, to be indexed.",
               max_age_s=14 * DAY, max_bytes=256 * 1024 * 1024, duplicate_window_s=DAY),
)

BUCKETS: tuple[BucketSpec, ...] = (
    BucketSpec("zenith-gpio", "Pin modes, values, names and PWM settings, per camera.", "gpio"),
    BucketSpec("zenith-focuser", "Focuser position, limits, backlash and driver settings.",
               "gpio"),
    BucketSpec("zenith-capture", "Capture loop desired state and exposure state, per camera.",
               "capture"),
    BucketSpec("zenith-products", "Products worker checkpoints, per camera and night.",
               "products"),
    BucketSpec("zenith-auth", "Revocations of users and sessions, which every token verifier "
               "watches (never the signing key).", "auth",
               readers=("web",)),
    BucketSpec("zenith-sensors", "Heater and fan overrides with their expiry and the "
               "switched-off sensors (<camera>.disabled), per camera; on a hub, the state "
               "of each uploading camera's alerts (hub.<camera>.<rule>.<sensor>), shared "
               "by the sensors replicas.", "sensors"),
    BucketSpec("zenith-ratelimits", "Camera key rate-limit counters per key and per client "
               "address (hashed), shared by every auth replica; a counter expires two "
               "minutes after its last hit.", "auth", ttl_s=120.0),
)

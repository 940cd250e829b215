"""Settings of the products service (``ZENITH_PRODUCTS_*``)."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator

from zenith.config import Settings


class ProductsSettings(Settings):
    # Workers, leases and the consumer.
    products_worker_id: str = Field(
        "", max_length=64, pattern=r"^[A-Za-z0-9_-]*$",
        description="This worker's name in camera leases (stable, e.g. the pod name, lets a "
        "restarted worker take its cameras back at once); empty: hostname-pid.")
    products_lease_ttl_s: float = Field(
        30.0, ge=1, le=3600,
        description="A camera lease not renewed for this long may be taken by another worker.")
    products_discover_interval_s: float = Field(
        5.0, gt=0, le=3600, description="How often workers look for cameras and free leases.")
    products_checkpoint_frames: int = Field(
        20, ge=1, le=1000, description="Checkpoint (and ack) after at most this many frames.")
    products_checkpoint_s: float = Field(
        10.0, gt=0, le=600,
        description="Checkpoint (and ack) at the latest this long after a frame was applied.")
    products_ack_wait_s: float = Field(
        120.0, ge=10, le=3600, validate_default=True,
        description="JetStream ack wait of the per-camera consumers.")
    products_refresh_frames: int = Field(
        30, ge=0, le=100000,
        description="Write the night's products (final=false) every this many frames; 0: never.")
    products_segment_frames: int = Field(
        60, ge=1, le=10000,
        description="Timelapse frames per encoded segment (segments are joined at the end).")

    # Keogram.
    products_keogram_expand: int = Field(
        1, ge=1, le=100, description="Keogram: each frame's column is repeated this many times.")
    products_keogram_angle: float = Field(
        0.0, ge=-360, le=360,
        description="Keogram: axis through the image centre, degrees clockwise from vertical.")
    products_keogram_labels: bool = Field(
        True, description="Keogram: add the date and hour labels.")
    products_timezone: str = Field(
        "UTC", description="Time zone of the keogram hour labels and of retention days.")

    # Startrails.
    products_startrails_threshold: float = Field(
        0.1, ge=0, le=1,
        description="Startrails: only frames at most this bright (0..1, see the rule) are stacked.")
    products_startrails_rule: Literal["brightest", "luma"] = Field(
        "brightest",
        description="Startrails: brightest: the brightest channel's mean is at most the "
        "threshold (Allsky's rule); luma: the mean luma is below it.")

    # Timelapse and mini-timelapse.
    products_timelapse_fps: int = Field(25, ge=1, le=120, description="Timelapse frames/s.")
    products_timelapse_crf: int = Field(
        23, ge=0, le=51, description="Timelapse H.264 quality (lower is better); see bitrate.")
    products_timelapse_bitrate: int = Field(
        0, ge=0, le=200000, description="Timelapse bitrate, kbit/s; 0: constant quality (crf).")
    products_timelapse_preset: str = Field(
        "veryfast", pattern=r"^(ultrafast|superfast|veryfast|faster|fast|medium|slow|slower)$",
        description="x264 speed/size preset.")
    products_timelapse_width: int = Field(
        0, ge=0, le=8192, description="Timelapse width in pixels; 0: the frames' own width.")
    products_mini_frames: int = Field(
        30, ge=0, le=1000, description="Mini-timelapse: the last N frames; 0: off.")
    products_mini_every: int = Field(
        5, ge=1, le=1000,
        description="Mini-timelapse: rebuilt every M frames (once a backlog is worked off).")
    products_mini_width: int = Field(
        640, ge=64, le=4096, description="Mini-timelapse width in pixels.")

    # Images.
    products_jpeg_quality: int = Field(
        95, ge=10, le=100, description="JPEG quality of products (Allsky's default).")
    products_thumb_width: int = Field(320, ge=32, le=2048, description="Thumbnail width, px.")

    # End of night.
    products_sun_angle: float = Field(
        -6.0, ge=-18, le=10,
        description="The night ends when the sun rises above this altitude, degrees.")
    products_finalise_grace_s: float = Field(
        120.0, ge=0, le=86400,
        description="A silent camera's night is finished after sunrise and this much silence, s.")
    products_tick_s: float = Field(
        15.0, gt=0, le=3600, description="How often silent cameras are checked for sunrise, s.")

    # Long-term products.
    products_monthly_width: int = Field(
        1440, ge=96, le=8640, description="Monthly keogram: pixels for noon-to-noon (24 h).")
    products_monthly_strip_height: int = Field(
        40, ge=4, le=512, description="Monthly keogram: height of each night's strip, px.")
    products_longterm_width: int = Field(
        640, ge=64, le=4096, description="Monthly/yearly timelapse frame width, px.")
    products_longterm_height: int = Field(
        480, ge=64, le=4096, description="Monthly/yearly timelapse frame height, px.")
    products_monthly_interval_s: float = Field(
        300.0, ge=1, le=86400,
        description="Monthly timelapse: one frame per this many seconds of each night.")
    products_yearly_interval_s: float = Field(
        1800.0, ge=1, le=86400,
        description="Yearly timelapse: one frame per this many seconds of each night.")

    # Retention.
    products_keep_frames_days: int = Field(
        14, ge=0, le=36500, description="Delete frames of nights older than this; 0: keep.")
    products_keep_videos_days: int = Field(
        30, ge=0, le=36500, description="Delete nightly timelapses older than this; 0: keep.")
    products_keep_keograms_days: int = Field(
        0, ge=0, le=36500, description="Delete nightly keograms older than this; 0: keep.")
    products_keep_startrails_days: int = Field(
        0, ge=0, le=36500, description="Delete nightly startrails older than this; 0: keep.")
    products_disk_high_water: float = Field(
        90.0, gt=0, le=100,
        description="Delete oldest frames/products while the blob disk is fuller than this, %.")
    products_disk_max_bytes: int = Field(
        0, ge=0, description="Also keep the blob store under this many bytes; 0: no limit.")
    products_hub_ingest: bool = Field(
        False, description="On a hub: index the nightly products and meteor candidates "
        "cameras upload (the INGEST stream) beside the hub's own.")
    products_retention_interval_s: float = Field(
        3600.0, ge=0, description="How often the service applies retention; 0: never.")
    products_highlights_required: bool = Field(
        False, description="Delete nothing while the network service (which keeps the "
        "highlights) does not answer; set on a hub. Off: no network service means no "
        "highlights (a node of no hub).")

    @field_validator("products_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use e.g. UTC or Europe/Amsterdam)") \
                from None
        return value

    @field_validator("products_ack_wait_s")
    @classmethod
    def _ack_after_checkpoint(cls, value: float, info: ValidationInfo) -> float:
        checkpoint = info.data.get("products_checkpoint_s")
        if checkpoint is not None and value <= 2 * checkpoint:
            raise ValueError("must be more than twice ZENITH_PRODUCTS_CHECKPOINT_S "
                             "(events are acked at checkpoints)")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.products_timezone)

"""The settings one night is built with, frozen when its first frame arrives.

A checkpoint stores them, so a night resumed after a restart keeps the
settings it began with even if the service's settings changed meanwhile.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from zenith_products.settings import ProductsSettings
from zenith_products.startrails import Rule
from zenith_products.video import VideoParams, even_size


@dataclass(frozen=True)
class NightConfig:
    expand: int = 1
    angle: float = 0.0
    labels: bool = True
    timezone: str = "UTC"
    threshold: float = 0.1
    startrails_rule: Rule = "brightest"
    fps: int = 25
    crf: int = 23
    bitrate_kbps: int = 0
    preset: str = "veryfast"
    timelapse_width: int = 0
    segment_frames: int = 60
    mini_frames: int = 30
    mini_every: int = 5
    mini_width: int = 640
    jpeg_quality: int = 95
    thumb_width: int = 320
    longterm_width: int = 640
    longterm_height: int = 480
    monthly_interval_s: float = 300.0
    yearly_interval_s: float = 1800.0
    monthly_width: int = 1440
    monthly_strip_height: int = 40

    @classmethod
    def from_settings(cls, s: ProductsSettings) -> NightConfig:
        return cls(
            expand=s.products_keogram_expand, angle=s.products_keogram_angle,
            labels=s.products_keogram_labels, timezone=s.products_timezone,
            threshold=s.products_startrails_threshold,
            startrails_rule=s.products_startrails_rule, fps=s.products_timelapse_fps,
            crf=s.products_timelapse_crf, bitrate_kbps=s.products_timelapse_bitrate,
            preset=s.products_timelapse_preset, timelapse_width=s.products_timelapse_width,
            segment_frames=s.products_segment_frames, mini_frames=s.products_mini_frames,
            mini_every=s.products_mini_every, mini_width=s.products_mini_width,
            jpeg_quality=s.products_jpeg_quality, thumb_width=s.products_thumb_width,
            longterm_width=s.products_longterm_width,
            longterm_height=s.products_longterm_height,
            monthly_interval_s=s.products_monthly_interval_s,
            yearly_interval_s=s.products_yearly_interval_s,
            monthly_width=s.products_monthly_width,
            monthly_strip_height=s.products_monthly_strip_height,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NightConfig:
        # a night begun before the rule was a setting keeps the luma rule it began with
        data = {"startrails_rule": "luma", **data}
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def timelapse_params(self, width: int, height: int) -> VideoParams:
        w, h = even_size(width, height, self.timelapse_width)
        return VideoParams(w, h, self.fps, self.crf, self.bitrate_kbps, self.preset)

    def mini_params(self, width: int, height: int) -> VideoParams:
        w, h = even_size(width, height, self.mini_width)
        return VideoParams(w, h, self.fps, self.crf, 0, self.preset)

    def longterm_params(self) -> VideoParams:
        w, h = even_size(self.longterm_width, self.longterm_height)
        return VideoParams(w, h, self.fps, self.crf, 0, self.preset)

"""Frame events: one per saved frame, consumed by products (and the web)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from zenith.contracts.base import Event, Message
from zenith.contracts.common import NightDate


class FrameCaptured(Message):
    camera: str
    frame_id: str = Field(description="Unique; also the JetStream Nats-Msg-Id.")
    taken_at: datetime
    night: NightDate
    is_night: bool
    key: str = Field(description="BlobStore key of the JPEG.")
    thumb_key: str | None = None
    width: int
    height: int
    bit_depth: int = 8
    exposure_s: float
    gain: float
    mean: float = Field(description="Mean brightness, 0..1.")
    stars: int | None = None
    cloud_cover: float | None = Field(None, description="0 clear .. 1 overcast.")
    sqm: float | None = Field(None, description="Zenith sky brightness, mag/arcsec².")
    sun_altitude: float | None = None
    hfr: float | None = Field(None, description="Median half-flux radius of stars, px.")
    size: int | None = Field(None, description="Bytes of the JPEG.")
    source: str | None = Field(None, description="Driver that delivered the frame.")


FRAME_CAPTURED = Event(name="frame.captured", subject="zenith.frames.{camera}", stream="FRAMES",
                       payload=FrameCaptured,
                       summary="A frame was saved to the BlobStore and indexed.")

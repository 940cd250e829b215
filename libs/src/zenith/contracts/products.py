"""Product events: a keogram, startrails, timelapse... is ready."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from zenith.contracts.base import Event, Message
from zenith.contracts.common import NightDate

ProductKind = Literal["keogram", "startrails", "timelapse", "mini-timelapse",
                      "monthly-keogram", "monthly-timelapse", "yearly-timelapse"]


class ProductReady(Message):
    camera: str
    kind: ProductKind
    night: NightDate = Field(description="Night, or first day of the month/year.")
    key: str
    thumb_key: str | None = None
    content_type: str
    frames: int
    final: bool
    created_at: datetime
    meta: dict[str, Any] = Field(default_factory=dict)


PRODUCT_READY = Event(name="product.ready", subject="zenith.products.{camera}.{kind}",
                      stream="PRODUCTS", payload=ProductReady,
                      summary="A product was written (final at the end of the night).")

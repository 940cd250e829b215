"""Product events: a keogram, startrails, timelapse... is ready.

Besides the event, this module fixes what readers of products share with
the products service:

- the MetadataStore collection :data:`INDEX` holds one document per product,
  ``_id`` = :func:`product_id` (``<camera>:<night>:<kind>``), with the fields
  of :class:`ProductReady` plus ``size`` (bytes) and ``updated_at``;
- documents of :data:`HIGHLIGHTS` name a blob in ``key``; retention never
  deletes a blob (or its index row) that a highlight names;
- the KV bucket :data:`BUCKET` holds one key per camera, :func:`camera_key`:
  the lease of the worker that builds the camera's products and a pointer
  to its last checkpoint.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from zenith.contracts.base import Empty, Endpoint, Event, Message
from zenith.contracts.common import NightDate

ProductKind = Literal["keogram", "startrails", "timelapse", "mini-timelapse",
                      "monthly-keogram", "monthly-timelapse", "yearly-timelapse"]

INDEX = "products"
HIGHLIGHTS = "highlights"
BUCKET = "zenith-products"


def product_id(camera: str, night: str, kind: str) -> str:
    """``_id`` of a product's index document."""
    return f"{camera}:{night}:{kind}"


def camera_key(camera: str) -> str:
    """KV key of a camera's lease and checkpoint pointer in :data:`BUCKET`."""
    return f"camera.{camera}"


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


class CameraProducts(Message):
    camera: str
    worker: str | None = Field(None, description="Worker holding the camera's lease.")
    lease_expires_at: datetime | None = None
    night: NightDate | None = Field(None, description="Night being built, if any.")
    frames: int = Field(0, description="Frames applied to that night so far.")
    last_frame_at: datetime | None = None
    stream_seq: int = Field(0, description="Last FRAMES sequence checkpointed.")
    finished: list[str] = Field(default_factory=list, description="Recently finished nights.")


PRODUCT_READY = Event(name="product.ready", subject="zenith.products.{camera}.{kind}",
                      stream="PRODUCTS", payload=ProductReady,
                      summary="A product was written (final at the end of the night).")
STATUS = Endpoint(service="products", name="status", subject="zenith.node.{camera}.products.status",
                  request=Empty, reply=CameraProducts, permission=("products", "read"),
                  summary="Which worker builds this camera's products, and how far it is.")

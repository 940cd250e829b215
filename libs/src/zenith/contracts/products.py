"""Product events: a keogram, startrails, timelapse... is ready.

Besides the event, this module fixes what readers of products share with
the products service:

- the MetadataStore collection :data:`PRODUCTS_INDEX` holds one
  :class:`ProductDoc` per product, ``_id`` = :func:`product_id`
  (``<camera>:<night>:<kind>``); retention never deletes a blob (or its
  index row) that a highlight of the network service names;
- the KV bucket :data:`BUCKET` holds one key per camera, :func:`camera_key`:
  the lease of the worker that builds the camera's products and a pointer
  to its last checkpoint;
- :data:`KINDS` is the one table of product kinds (file name, content type,
  period, what renders it, retention group); everything else that lists
  kinds derives from it, and the blob keys of products are made by
  :func:`product_key` and :func:`thumb_key`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, WithJsonSchema

from zenith.contracts.base import Collection, Document, Empty, Endpoint, Event, Message
from zenith.contracts.common import NightDate
from zenith.ids import CameraId

Period = Literal["nightly", "monthly", "yearly"]
Renderer = Literal["night", "longterm"]
RetentionGroup = Literal["videos", "keograms", "startrails"]


@dataclass(frozen=True)
class KindSpec:
    """One kind of product.

    ``renderer`` says what makes it: ``night`` kinds are built from one
    night's frames as they arrive (and by ``zenith products render
    --only``), ``longterm`` kinds from finished nights. ``retention`` names
    the keep-days setting that deletes old ones (``ZENITH_PRODUCTS_KEEP_<GROUP>_DAYS``);
    None: kept for ever."""

    name: str
    file: str
    content_type: str
    period: Period
    renderer: Renderer
    retention: RetentionGroup | None
    summary: str

    @property
    def stem(self) -> str:
        return self.file.rsplit(".", 1)[0]


KINDS: tuple[KindSpec, ...] = (
    KindSpec("keogram", "keogram.jpg", "image/jpeg", "nightly", "night", "keograms",
             "One column per frame along an axis through the centre, with hour labels."),
    KindSpec("startrails", "startrails.jpg", "image/jpeg", "nightly", "night", "startrails",
             "Per-pixel maximum of the night's dark frames."),
    KindSpec("timelapse", "timelapse.mp4", "video/mp4", "nightly", "night", "videos",
             "Every frame of the night, H.264 MP4."),
    KindSpec("mini-timelapse", "mini-timelapse.mp4", "video/mp4", "nightly", "night", "videos",
             "The night's last frames, small, H.264 MP4."),
    KindSpec("monthly-keogram", "keogram.jpg", "image/jpeg", "monthly", "longterm", None,
             "One strip per night of the month on a noon-to-noon axis."),
    KindSpec("monthly-timelapse", "timelapse.mp4", "video/mp4", "monthly", "longterm", None,
             "A few frames of every night of the month."),
    KindSpec("yearly-timelapse", "timelapse.mp4", "video/mp4", "yearly", "longterm", None,
             "A few frames of every night of the year."),
)
KIND: dict[str, KindSpec] = {k.name: k for k in KINDS}
NIGHT_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if k.renderer == "night")


def _known_kind(value: str) -> str:
    if value not in KIND:
        raise ValueError(f"unknown product kind {value!r} (one of {', '.join(KIND)})")
    return value


ProductKind = Annotated[str, AfterValidator(_known_kind),
                        WithJsonSchema({"type": "string", "enum": list(KIND)})]


def kinds_in(group: RetentionGroup) -> list[str]:
    """Kinds whose old products the ``group`` keep-days setting deletes."""
    return [k.name for k in KINDS if k.retention == group]


def period_folder(camera: str, kind: str, night: str) -> str:
    """Blob folder of a product: per night, month (``night`` YYYY-MM-01) or year."""
    period = KIND[kind].period
    if period == "monthly":
        return f"products/{camera}/monthly/{night[:7]}"
    if period == "yearly":
        return f"products/{camera}/yearly/{night[:4]}"
    return f"products/{camera}/{night}"


def product_key(camera: str, night: str, kind: str) -> str:
    """BlobStore key of a product."""
    return f"{period_folder(camera, kind, night)}/{KIND[kind].file}"


def thumb_key(camera: str, night: str, kind: str) -> str:
    """BlobStore key of a product's thumbnail (always a JPEG)."""
    return f"{period_folder(camera, kind, night)}/thumbs/{KIND[kind].stem}.jpg"


WORK_ROOT = "work/products"


def work_prefix(camera: str, night: str) -> str:
    """Blob folder of a night being built (deleted when it is final)."""
    return f"{WORK_ROOT}/{camera}/nights/{night}"


def longterm_prefix(camera: str) -> str:
    """Blob folder of each night's part of the monthly and yearly products."""
    return f"{WORK_ROOT}/{camera}/longterm"


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


class ProductDoc(Document):
    """A product in the index: the fields of :class:`ProductReady`, its size
    and when it was last written."""

    camera: str
    kind: ProductKind
    night: NightDate
    key: str
    thumb_key: str | None = None
    content_type: str
    frames: int
    final: bool
    size: int = 0
    meta: dict[str, Any] = Field(default_factory=dict)
    created_at: str
    updated_at: str


PRODUCTS_INDEX = Collection("products", "products", ProductDoc,
                            "One document per product (nightly, monthly, yearly).",
                            indexes=(("camera", "night"), ("kind", "night"),
                                     ("camera", "kind", "night")))
INDEX = PRODUCTS_INDEX.name


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
                      publishers=("products",),
                      summary="A product was written (final at the end of the night).")
STATUS = Endpoint(service="products", name="status", subject="zenith.node.{camera}.products.status",
                  request=Empty, reply=CameraProducts, permission=("products", "read"),
                  summary="Which worker builds this camera's products, and how far it is.")


class ProductQuery(Message):
    kinds: list[ProductKind] = Field(default_factory=list, max_length=len(KINDS),
                                     description="Only these kinds (empty: every kind).")
    from_night: NightDate | None = Field(None, description="First night (inclusive).")
    to_night: NightDate | None = Field(None, description="Last night (inclusive).")
    limit: int = Field(100, ge=1, le=2000)


class ProductList(Message):
    products: list[ProductDoc] = Field(description="Newest night first.")


LIST = Endpoint(service="products", name="list", subject="zenith.node.{camera}.products.list",
                request=ProductQuery, reply=ProductList, permission=("products", "read"),
                summary="A camera's products from the index, newest night first.")


class MeteorSizesQuery(Message):
    camera: CameraId


class MeteorDaySize(Message):
    day: NightDate
    candidates: int
    bytes: int = Field(description="Every stored part (crops, marked frames, JSON).")


class MeteorSizes(Message):
    camera: str
    days: list[MeteorDaySize] = Field(description="Oldest first; days without candidates left out.")


METEOR_SIZES = Endpoint(service="products", name="meteors-sizes",
                        subject="zenith.hub.meteors.sizes", request=MeteorSizesQuery,
                        reply=MeteorSizes, permission=("products", "read"),
                        summary="How many meteor candidates a camera uploaded, and their bytes, "
                        "per day (an owner's data size).")
class ProductDelete(Message):
    night: NightDate = Field(description="Night, or first day of the month/year.")
    kind: ProductKind


class ProductDeleted(Message):
    deleted: bool
    kept: bool = Field(False, description="A highlight names it (active or not): kept.")
    bytes: int = 0


DELETE = Endpoint(service="products", name="delete",
                  subject="zenith.node.{camera}.products.delete",
                  request=ProductDelete, reply=ProductDeleted, permission=("products", "delete"),
                  summary="Delete one product (file, thumbnail and index row together) unless "
                  "a highlight names it (asked of network).", errors=("product_not_found",))
LATEST = Endpoint(service="products", name="latest",
                  subject="zenith.node.{camera}.products.latest",
                  request=Empty, reply=ProductList, permission=("products", "read"),
                  summary="The newest product of each kind the camera has.")

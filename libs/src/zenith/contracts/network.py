"""The network's registry (served by ``network``): cameras, owners, highlights.

Besides the endpoints, this module fixes what others share with the
network service:

- the MetadataStore collection :data:`CAMERAS` holds one :class:`Camera`
  per document, ``_id`` = the camera id (the slug used in subjects), with a
  unique display ``code`` (``ASK042``); only ``network`` writes it;
- :data:`HIGHLIGHTS_COLLECTION` holds one :class:`Highlight` per document:
  a reference to a product (its index ``_id``, see
  :func:`zenith.contracts.products.product_id`) and the blob it names.
  Retention asks :data:`HIGHLIGHTS_REFERENCED` before deleting a blob;
- a camera's online state changes on :data:`CAMERA_STATUS`: online as soon
  as a live frame arrives (``zenith.frames.<camera>``), offline once no
  frame came for ``network_offline_after_s``.

The public location of a camera is :func:`public_location`: the owner
chooses how precisely strangers see it.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, Field

from zenith.contracts.auth import Ok
from zenith.contracts.base import Collection, Empty, Endpoint, Event, Message
from zenith.contracts.common import Name
from zenith.ids import CameraId

SERVICE = "network"
PERMISSION_MODULE = "network"


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value!r} (use an IANA name such as "
                         "Europe/Berlin)") from None
    return value


Timezone = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_timezone)]
Precision = Literal["exact", "1km", "10km", "hidden"]
DisplayCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{1,11}$",
                                   description="Display code such as ASK042.")]
Username = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")]
Category = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$",
                                description="e.g. meteor, aurora, fireball, clouds.")]
HIGHLIGHT_CATEGORIES: tuple[str, ...] = ("aurora", "meteor", "clear-sky", "halo",
                                         "noctilucent-clouds", "other")
"""The categories the highlights page filters by (others are shown under none of them)."""
NightDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD.")]


def _blob_key(value: str) -> str:
    if any(part in ("", ".", "..") for part in value.split("/")):
        raise ValueError("a blob key is a relative path without '.' or '..' segments")
    return value


BlobKey = Annotated[str, Field(min_length=1, max_length=300,
                               pattern=r"^[A-Za-z0-9_.:-]+(/[A-Za-z0-9_.:-]+)*$"),
                    AfterValidator(_blob_key)]
HighlightId = Annotated[str, Field(pattern=r"^[a-z0-9]{1,40}$")]


class Location(Message):
    latitude: float = Field(..., ge=-90, le=90)
    longitude: float = Field(..., ge=-180, le=180)
    elevation: float = Field(0.0, ge=-500, le=9000, description="Metres above sea level.")
    timezone: Timezone = "UTC"
    precision: Precision = Field("1km", description="How precisely visitors see it.")


class PublicLocation(Message):
    latitude: float
    longitude: float
    elevation: float | None
    timezone: str
    precision: Precision


# Degrees of latitude (and of longitude at the equator) per grid cell: about
# 1.1 km and 11 km. The grid is fixed, so a location always shows the same
# rounded point: no averaging of many answers recovers the exact one.
_GRID = {"1km": 0.01, "10km": 0.1}


def public_location(location: Location) -> PublicLocation | None:
    """The location a stranger may see, or None when the owner hides it."""
    if location.precision == "hidden":
        return None
    if location.precision == "exact":
        return PublicLocation(latitude=location.latitude, longitude=location.longitude,
                              elevation=location.elevation, timezone=location.timezone,
                              precision="exact")
    step = _GRID[location.precision]
    lat = round(math.floor(location.latitude / step) * step + step / 2, 4)
    # longitude cells widen towards the equator so they stay ~step of latitude wide
    lon_step = step / max(math.cos(math.radians(lat)), 0.01)
    lon = math.floor((location.longitude + 180) / lon_step) * lon_step + lon_step / 2 - 180
    return PublicLocation(latitude=max(-90.0, min(90.0, lat)),
                          longitude=round(max(-180.0, min(180.0, lon)), 4),
                          elevation=None, timezone=location.timezone,
                          precision=location.precision)


class Hardware(Message):
    camera: Name = ""
    lens: Name = ""
    computer: Name = ""


class Camera(Message):
    """A document of :data:`CAMERAS` (``_id`` = ``id``) and the reply of reads."""

    id: CameraId
    code: DisplayCode
    name: Name
    site: Name = ""
    owners: list[Username] = Field(default_factory=list)
    location: Location
    hardware: Hardware = Field(default_factory=Hardware)
    created_at: datetime
    updated_at: datetime
    enabled: bool = True
    last_upload_at: datetime | None = Field(None, description="Time of the last live frame.")
    online: bool = False
    status_changed_at: datetime | None = None


class CameraAdd(Message):
    id: CameraId
    code: DisplayCode | None = Field(None, description="Omitted: the next free code.")
    name: Name
    site: Name = ""
    owners: list[Username] = Field(default_factory=list, max_length=32)
    location: Location
    hardware: Hardware = Field(default_factory=Hardware)
    enabled: bool = True


class CameraEdit(Message):
    """Change some fields of a camera; fields left out stay as they are."""

    camera: CameraId
    code: DisplayCode | None = None
    name: Name | None = None
    site: Name | None = None
    location: Location | None = None
    hardware: Hardware | None = None
    enabled: bool | None = None


class CameraRef(Message):
    camera: CameraId


class CameraByCode(Message):
    code: DisplayCode


class CameraQuery(Message):
    owner: Username | None = Field(None, description="Only cameras this user owns.")
    enabled: bool | None = None
    online: bool | None = None


class CameraList(Message):
    cameras: list[Camera]


class OwnerChange(Message):
    camera: CameraId
    username: Username


class CameraStatus(Message):
    """Published on every online/offline change, and when a camera is enabled,
    disabled or removed."""

    camera: CameraId
    online: bool
    enabled: bool
    removed: bool = False
    last_upload_at: datetime | None
    changed_at: datetime


class Highlight(Message):
    """A document of :data:`HIGHLIGHTS_COLLECTION` (``_id`` = ``id``)."""

    id: HighlightId
    camera: CameraId
    product: str = Field(..., min_length=1, max_length=200,
                         description="Index _id of the product (camera:night:kind) or frame.")
    key: str = Field(..., min_length=1, max_length=300, description="BlobStore key it names.")
    category: Category
    title: Name = ""
    active: bool = True
    created_at: datetime
    created_by: Username | None = None
    night: NightDate | None = Field(None, description="The night it shows (from the "
                                    "product id camera:night:kind, or as added).")


class HighlightAdd(Message):
    camera: CameraId
    product: str = Field(..., min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]*$")
    key: BlobKey
    category: Category
    title: Name = ""
    active: bool = True
    night: NightDate | None = Field(None, description="The night it shows; default: the "
                                    "night of the product id camera:night:kind.")


class HighlightRef(Message):
    id: HighlightId


class HighlightSetActive(Message):
    id: HighlightId
    active: bool


class HighlightQuery(Message):
    camera: CameraId | None = None
    category: Category | None = None
    active: bool | None = None
    year: int | None = Field(None, ge=1970, le=2200,
                             description="Only highlights of nights in this year.")
    limit: int = Field(100, ge=1, le=1000)


class HighlightList(Message):
    highlights: list[Highlight]


class KeysQuery(Message):
    keys: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        ..., max_length=1000, description="BlobStore keys retention would delete.")


class KeysReferenced(Message):
    referenced: list[str] = Field(description="Those of the keys a highlight names "
                                  "(active or not): retention keeps them.")


CAMERAS = Collection("cameras", SERVICE, Camera, "The network's cameras, by camera id.",
                     indexes=(("code",), ("online", "last_upload_at")))
HIGHLIGHTS_COLLECTION = Collection("network_highlights", SERVICE, Highlight,
                                   "Highlighted products and frames, by highlight id.",
                                   indexes=(("key",), ("camera", "created_at")))

_R, _C, _U, _D = "read", "create", "update", "delete"


def _ep(name: str, subject: str, request: type[BaseModel], reply: type[BaseModel],
        action: str, summary: str, errors: tuple[str, ...] = ()) -> Endpoint[Any, Any]:
    return Endpoint(service=SERVICE, name=name, subject=f"zenith.network.{subject}",
                    request=request, reply=reply, permission=(PERMISSION_MODULE, action),
                    summary=summary, errors=errors)


CAMERA_ADD = _ep("camera-add", "cameras.add", CameraAdd, Camera, _C,
                 "Register a camera.", ("camera_exists", "code_taken"))
CAMERA_LIST = _ep("camera-list", "cameras.list", CameraQuery, CameraList, _R,
                  "Cameras, by id, optionally only an owner's, enabled or online ones.")
CAMERA_GET = _ep("camera-get", "cameras.get", CameraRef, Camera, _R,
                 "One camera.", ("camera_not_found",))
CAMERA_BY_CODE = _ep("camera-by-code", "cameras.by-code", CameraByCode, Camera, _R,
                     "The camera with a display code.", ("camera_not_found",))
CAMERA_EDIT = _ep("camera-edit", "cameras.edit", CameraEdit, Camera, _U,
                  "Change a camera's name, site, location, hardware, code or enabled flag.",
                  ("camera_not_found", "code_taken"))
CAMERA_REMOVE = _ep("camera-remove", "cameras.remove", CameraRef, Ok, _D,
                    "Remove a camera from the registry (its uploads stay until retention).",
                    ("camera_not_found",))
OWNER_ADD = _ep("owner-add", "owners.add", OwnerChange, Camera, _U,
                "Make a user an owner of a camera.", ("camera_not_found",))
OWNER_REMOVE = _ep("owner-remove", "owners.remove", OwnerChange, Camera, _U,
                   "A user no longer owns a camera.", ("camera_not_found", "not_an_owner"))
HIGHLIGHT_ADD = _ep("highlight-add", "highlights.add", HighlightAdd, Highlight, _C,
                    "Highlight a product or frame of a camera.", ("camera_not_found",))
HIGHLIGHT_LIST = _ep("highlight-list", "highlights.list", HighlightQuery, HighlightList, _R,
                     "Highlights, newest first.")
HIGHLIGHT_SET_ACTIVE = _ep("highlight-set-active", "highlights.set-active", HighlightSetActive,
                           Highlight, _U, "Show or hide a highlight.",
                           ("highlight_not_found",))
HIGHLIGHT_REMOVE = _ep("highlight-remove", "highlights.remove", HighlightRef, Ok, _D,
                       "Delete a highlight (the product it names becomes deletable).",
                       ("highlight_not_found",))
HIGHLIGHTS_REFERENCED = _ep("highlights-referenced", "highlights.referenced", KeysQuery,
                            KeysReferenced, _R,
                            "Which of these blob keys a highlight names: retention asks "
                            "before deleting.")

CAMERA_STATUS = Event(name="network.camera-status", subject="zenith.status.{camera}.network",
                      stream="STATUS", payload=CameraStatus,
                      publishers=("network",),
                      summary="A camera went online or offline, or was enabled, disabled "
                      "or removed.")


# --- the uplink (a node's network service, sending to its hub) -------------------------------


class UplinkQueue(Message):
    pending: int = Field(description="Events waiting in the node's stream.")
    sent: int = 0
    dropped: int = Field(0, description="Live frames dropped for age (never products).")
    last_success_at: datetime | None = None


class UplinkStatus(Message):
    enabled: bool
    hub_url: str = ""
    frames: UplinkQueue | None = None
    products: UplinkQueue | None = None
    readings: UplinkQueue | None = None
    meteors: UplinkQueue | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None


UPLINK_STATUS = Endpoint(service=SERVICE, name="uplink-status",
                         subject="zenith.node.{camera}.uplink.status", request=Empty,
                         reply=UplinkStatus, permission=(PERMISSION_MODULE, _R),
                         summary="What the uplink to the hub has queued, sent and dropped; "
                         "its last success and error.")

"""Uploads to a hub: staged by ``web``, announced on the INGEST stream.

An upload (an AllSkyKamera camera's live image, nightly product or meteor
candidate, or a Zenith node's frame) is streamed by the web service to
staging blobs, checked by decoding, and then announced as one
:class:`UploadReceived` on :data:`UPLOAD_RECEIVED`. Only after JetStream
acknowledged the event does the camera get its ``200``: an acknowledged
upload survives any later outage. ``Nats-Msg-Id`` is :attr:`upload_id`,
derived from the camera, the asset and the bytes (a Zenith node's: its
idempotency key), so a retried upload is one event (and, beyond the stream's
duplicate window, its consumers find the frame or product already indexed
under the same id).

An upload's parts are staged in a folder of their own, named by the upload id
and the request (:func:`staging_folder`): no other event ever names them. The
consumer that applies an upload removes them once what it made of them is
durable (``zenith.storage.staging``), so a part missing from staging means its
upload was applied already; a retry answered as a duplicate removes its own
copy at once. What no consumer will take (a request that failed while or
after it was announced, a crashed request's temporary file) is swept by
``web`` once it is older than :data:`STAGING_MAX_AGE_S`, past the INGEST
stream's own age limit.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from zenith.contracts.base import Collection, Document, Endpoint, Event, Message
from zenith.contracts.common import NightDate
from zenith.ids import CameraId

STAGING_ROOT = "staging"
INFLUX_ORG = "zenith"
INFLUX_BUCKET = "zenith"
WEATHER_MEASUREMENT = "ext_sensors"
CAMERA_TAG = "kamera"  # the AllSkyKamera client's camera tag; forced to the key's camera

UploadKind = Literal["frame", "product", "meteor"]
Asset = Literal["image", "keogram", "startrail", "video", "meteor", "frame"]
Dialect = Literal["allskykamera", "zenith"]


STAGING_MAX_AGE_S = 15 * 24 * 3600
"""Staged files older than this are swept: a day past INGEST's age limit, so no
event that names them can still be delivered."""


def staging_folder(camera: str, upload_id: str, attempt: str) -> str:
    """Folder key of one request's staged parts of an upload:
    ``staging/<camera>/<upload_id>.<attempt>`` (``attempt``: the request's own)."""
    return f"{STAGING_ROOT}/{camera}/{upload_id}.{attempt}"


def staging_key(camera: str, upload_id: str, attempt: str, part: str, ext: str) -> str:
    """Blob key of a staged part: ``staging/<camera>/<upload_id>.<attempt>/<part>.<ext>``."""
    return f"{staging_folder(camera, upload_id, attempt)}/{part}.{ext}"


def is_staged_for(key: str, camera: str, upload_id: str) -> bool:
    """Whether ``key`` is a part staged for that upload (by any of its requests)."""
    return key.startswith(f"{STAGING_ROOT}/{camera}/{upload_id}.") and key.count("/") == 3


def upload_id(camera: str, kind: str, asset: str, digest: str, night: str | None = None) -> str:
    """The id of an upload (and of the frame it becomes): stable for the same bytes."""
    base = f"{camera}|{kind}|{asset}|{night or ''}|{digest}"
    return f"{camera}-{kind}-{hashlib.sha256(base.encode()).hexdigest()[:32]}"


class StagedPart(Message):
    name: str = Field(description="Form field of the part: fullhd, mobile, thumb, file, ...")
    key: str = Field(description="Staging blob key.")
    size: int
    sha256: str
    content_type: str
    width: int | None = None
    height: int | None = None
    codec: str | None = Field(None, description="Video codec (h264, vp9).")


class UploadReceived(Message):
    upload_id: str
    camera: CameraId
    kind: UploadKind
    asset: Asset
    dialect: Dialect
    received_at: datetime
    taken_at: datetime = Field(description="When the frame was taken (received_at if unknown).")
    night: NightDate | None = Field(None, description="Night of a nightly product.")
    day: NightDate | None = Field(None, description="Day of a meteor candidate.")
    candidate_id: str | None = None
    parts: dict[str, StagedPart]
    meta: dict[str, Any] = Field(default_factory=dict,
                                 description="Frame metadata from a Zenith node: exposure_s, "
                                 "gain, sky metrics.")


UPLOAD_RECEIVED = Event(name="ingest.upload", subject="zenith.ingest.{camera}.{kind}",
                        stream="INGEST", payload=UploadReceived,
                        publishers=("web",),
                        summary="An upload was staged and checked; consumers index it.")


# --- what uploads become: products (kept by ``products``) and meteor candidates ----------

PRODUCT_OF_ASSET = {"keogram": "keogram", "startrail": "startrails", "video": "timelapse"}
"""The product kind an AllSkyKamera nightly asset is indexed as."""

UPLOADED_SOURCE = "camera"
"""``meta.source`` of an uploaded product (the hub's own products say ``hub``)."""


def uploaded_product_id(camera: str, night: str, kind: str) -> str:
    """Index ``_id`` of a product a camera uploaded: beside the hub's own
    (``products.product_id``), never in its place."""
    return f"{camera}:{night}:{kind}:{UPLOADED_SOURCE}"


def uploaded_product_key(camera: str, night: str, kind: str, part: str, ext: str) -> str:
    """Blob key of a part (fullhd, mobile, thumb, file) of an uploaded product."""
    return f"products/{camera}/{night}/{UPLOADED_SOURCE}/{kind}-{part}.{ext}"


def meteor_key(camera: str, day: str, candidate: str, part: str, ext: str) -> str:
    """Blob key of a part of a meteor candidate."""
    return f"meteors/{camera}/{day}/{candidate}/{part}.{ext}"


class MeteorDoc(Document):
    """A meteor candidate a camera uploaded (``_id`` = ``<camera>:<day>:<candidate>``)."""

    camera: str
    day: NightDate
    candidate_id: str
    parts: dict[str, str] = Field(description="Part name -> blob key.")
    candidate: dict[str, Any] = Field(default_factory=dict,
                                      description="The candidate_json the camera sent.")
    received_at: str


METEORS = Collection("meteor_candidates", "products", MeteorDoc,
                     "Meteor candidates uploaded by cameras, by camera and day.",
                     indexes=(("camera", "day"),))


class MeteorQuery(Message):
    camera: CameraId
    day: NightDate


class MeteorList(Message):
    camera: str
    day: str
    candidates: list[MeteorDoc]


METEORS_LIST = Endpoint(service="products", name="meteors-list",
                        subject="zenith.hub.meteors.list", request=MeteorQuery,
                        reply=MeteorList, permission=("products", "read"),
                        summary="A camera's uploaded meteor candidates of one day.")


# --- Zenith's own dialect (a node's uplink), under ZENITH_PREFIX ---------------------------

ZENITH_PREFIX = "/api/ingest/v1"
IdempotencyKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]
ZENITH_KINDS = {"keogram": "keogram", "startrails": "startrail", "timelapse": "video"}
"""Product kinds a node uploads, and the asset each is staged as."""


class FrameMeta(Message):
    """The ``meta`` field of a frame upload: what the node knows about it."""

    taken_at: datetime
    exposure_s: float = Field(0.0, ge=0, le=3600)
    gain: float = Field(1.0, ge=0, le=10_000)
    night: NightDate | None = None
    metrics: dict[str, float] = Field(default_factory=dict, max_length=32,
                                      description="The node's sky metrics (mean, stars, "
                                      "hfr, sqm, cloud_cover, ...).")


class MeteorRecord(Message):
    """What a node's detector measured about a meteor candidate."""

    taken_at: datetime
    frame_id: str
    x0: float
    y0: float
    x1: float
    y1: float
    length_px: float
    width_px: float
    peak: float = Field(description="Brightest difference along the streak, of full scale.")
    brightness: float = Field(description="Summed difference over the streak.")


ZENITH_METEOR_PARTS = ("crop", "marked", "diff")
"""JPEG parts of a node's meteor candidate: the streak cut out, the frame with it
marked, the difference image around it."""


class MeteorMeta(Message):
    """The ``meta`` field of a meteor upload (``POST {prefix}/{camera}/meteors``)."""

    night: NightDate
    candidate_id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    record: MeteorRecord


class MeteorPath(Message):
    """``DELETE {prefix}/{camera}/meteors/{night}/{candidate_id}``: a candidate the node
    withdrew (the next frame showed a track across frames)."""

    camera: CameraId
    night: NightDate
    candidate_id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")


WITHDRAWN = "withdrawn"
"""``UploadReceived.meta`` flag of a meteor upload that removes the candidate."""


class NodeReading(Message):
    sensor: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    measurement: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    time: datetime
    fields: dict[str, float] = Field(..., min_length=1, max_length=64)
    tags: dict[str, str] = Field(default_factory=dict, max_length=16)


class ReadingBatch(Message):
    """``POST {prefix}/{camera}/readings``: a batch, resent whole until acknowledged."""

    readings: list[NodeReading] = Field(..., min_length=1, max_length=1000)


class BatchOk(Message):
    ok: Literal[True] = True
    stored: int
    duplicates: int = 0
    dropped: int = Field(0, description="Readings of sensors the owner switched off.")
    disabled_sensors: list[str] = Field(default_factory=list,
                                        description="As in NodeConfig.")


class NodeConfig(Message):
    """``GET {prefix}/{camera}/config``: what the camera's owner chose on the hub that the
    node applies itself (also in the answer to every readings batch)."""

    disabled_sensors: list[str] = Field(
        default_factory=list, description="Sensors the owner switched off: the hub drops "
        "their readings, the node stops reading them.")


class CameraPath(Message):
    camera: CameraId


# --- the documented external-sensor API (POST /api/v1/weather.php) --------------------------

FieldName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$")]


class WeatherUpload(Message):
    """An external sensor's readings: ``X-API-Key`` names the camera."""

    sensor: str = Field("weather", pattern=r"^[a-z0-9_-]{1,32}$",
                        description="Name of the station or sensor.")
    time: datetime | None = Field(None, description="When measured (default: on arrival).")
    values: dict[FieldName, float] = Field(..., min_length=1, max_length=64,
                                           description="e.g. temperature (°C), humidity (%), "
                                           "pressure (hPa), wind_speed (m/s), rain (mm).")


class UploadOk(Message):
    ok: Literal[True] = True
    upload_id: str | None = None
    duplicate: bool = False


class UploadFailed(Message):
    ok: Literal[False] = False
    error: str
    message: str
    retry_after_seconds: int | None = None


class WeatherOk(Message):
    ok: Literal[True] = True
    stored: int
    disabled: bool = Field(False, description="The owner switched this sensor off on the "
                           "hub: nothing was stored.")


class SecretsQuery(Message):
    key: str = Field(..., min_length=1, max_length=200, description="The camera's key.")


class WriteQuery(Message):
    """Query of ``POST /api/v2/write`` (org and bucket are accepted and ignored)."""

    org: str = Field("", max_length=64)
    bucket: str = Field("", max_length=64)
    precision: Literal["ns", "us", "ms", "s"] = "ns"


class Secrets(Message):
    """``GET /getSecrets.php``: what the AllSkyKamera client configures itself with."""

    kamera_id: str
    influx_url: str
    influx_token: str
    influx_org: str
    influx_bucket: str
    ftp_user: str = ""
    ftp_pass: str = ""
    ftp_server: str = ""

"""Frames: the event of each saved frame, the frames index and its blob keys.

The capture service is the only writer of everything here. A saved frame is

- a JPEG at :func:`frame_key` (``frames/<camera>/<night>/<stamp>.jpg``) and
  its thumbnail at :func:`frame_thumb_key` (``thumbs/...``) in the BlobStore;
- a :class:`FrameDoc` in the MetadataStore collection :data:`FRAMES_INDEX`;
- a :data:`FRAME_CAPTURED` event (``Nats-Msg-Id`` = frame id).

Other services read the index through capture's endpoints
(:data:`LIST`, :data:`NIGHTS`) and ask it to delete frames (:data:`DELETE`,
used by retention); they never open the collection.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from zenith.contracts.base import Collection, Document, Endpoint, Event, Message
from zenith.contracts.common import NightDate, StoredTime

READ = ("allsky", "read")
DELETE_PERMISSION = ("products", "delete")
FRAMES_ROOT = "frames"
THUMBS_ROOT = "thumbs"


def frame_stamp(when: datetime) -> str:
    """``20261121T223015.123Z``: sortable, unique per millisecond."""
    return when.strftime("%Y%m%dT%H%M%S") + f".{when.microsecond // 1000:03d}Z"


def frame_key(camera: str, night: str, stamp: str) -> str:
    """BlobStore key of a frame's JPEG."""
    return f"{FRAMES_ROOT}/{camera}/{night}/{stamp}.jpg"


def frame_thumb_key(camera: str, night: str, stamp: str) -> str:
    """BlobStore key of a frame's thumbnail."""
    return f"{THUMBS_ROOT}/{camera}/{night}/{stamp}.jpg"


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


class FrameDoc(Document):
    """One saved frame in the index (``_id`` = frame id)."""

    camera: str
    night: NightDate
    taken_at: StoredTime
    is_night: bool
    key: str
    thumb_key: str | None = None
    width: int
    height: int
    bit_depth: int = 8
    size: int = 0
    thumb_size: int = 0
    exposure_s: float
    gain: float
    sun_altitude: float | None = None
    source: str | None = None
    file: str | None = Field(None, description="Where the driver read it (folder driver).")
    focus_position: int | None = None
    metrics: dict[str, Any] = Field(default_factory=dict,
                                    description="Sky metrics: mean, stars, hfr, sqm, ...")
    created_at: StoredTime


FRAMES_INDEX = Collection(
    name="frames", owner="capture", document=FrameDoc,
    summary="One document per saved frame.",
    indexes=(("camera", "night", "taken_at"), ("camera", "taken_at")))


class NightTotalsDoc(Document):
    """How many frames a night has and their bytes (``_id`` = :func:`night_totals_id`).

    Capture marks a night ``stale`` wherever it writes or deletes frames of it,
    and recounts a stale night from the index when asked (:data:`NIGHTS`), so a
    year answers from about 365 of these instead of every frame row."""

    camera: str
    night: NightDate
    frames: int = 0
    bytes: int = Field(0, description="JPEGs and thumbnails.")
    stale: bool = Field(True, description="Frames changed since the count: recount.")
    rev: str = Field("", description="New at every change; a recount stores its count "
                     "only if it is still the one it read.")


def night_totals_id(camera: str, night: str) -> str:
    return f"{camera}:{night}"


NIGHT_TOTALS = Collection(
    name="capture_night_totals", owner="capture", document=NightTotalsDoc,
    summary="Per camera and night: frame count and bytes, kept by capture.",
    indexes=(("camera", "night"),))


class FrameList(Message):
    night: NightDate
    night_only: bool = Field(False, description="Only frames taken at night.")
    after: datetime | None = Field(None, description="Only frames taken after this (paging).")
    limit: int = Field(1000, ge=1, le=5000)


class Frames(Message):
    frames: list[FrameDoc]
    more: bool = Field(description="More frames follow: ask again with after = the last one's "
                       "taken_at.")


class NightsQuery(Message):
    after: NightDate | None = Field(None, description="Only nights after this one.")
    before: NightDate | None = Field(None, description="Only nights before this one.")
    limit: int = Field(100, ge=1, le=1000)


class NightSummary(Message):
    night: NightDate
    frames: int
    bytes: int = Field(description="JPEGs and thumbnails.")


class Nights(Message):
    nights: list[NightSummary] = Field(description="Oldest first.")


class FrameDelete(Message):
    night: NightDate
    keep: list[str] = Field(default_factory=list, max_length=10_000,
                            description="Blob keys not to delete (highlighted frames).")
    dry_run: bool = False


class FramesDeleted(Message):
    deleted: int
    kept: int
    bytes: int


LIST = Endpoint(service="capture", name="frames-list", subject="zenith.node.{camera}.frames.list",
                request=FrameList, reply=Frames, permission=READ,
                summary="A night's frames from the index, by time taken, a page at a time.")
NIGHTS = Endpoint(service="capture", name="frames-nights",
                  subject="zenith.node.{camera}.frames.nights",
                  request=NightsQuery, reply=Nights, permission=READ,
                  summary="Nights that have frames, with counts and sizes, oldest first.")
DELETE = Endpoint(service="capture", name="frames-delete",
                  subject="zenith.node.{camera}.frames.delete",
                  request=FrameDelete, reply=FramesDeleted, permission=DELETE_PERMISSION,
                  summary="Delete a night's frames (files and index), except those kept.")
FRAME_CAPTURED = Event(name="frame.captured", subject="zenith.frames.{camera}", stream="FRAMES",
                       payload=FrameCaptured,
                       publishers=("capture",),
                       summary="A frame was saved to the BlobStore and indexed.")


class LatestFrames(Message):
    limit: int = Field(1, ge=1, le=100)


LATEST = Endpoint(service="capture", name="frames-latest",
                  subject="zenith.node.{camera}.frames.latest",
                  request=LatestFrames, reply=Frames, permission=READ,
                  summary="The camera's newest frames, newest first (the live image).")

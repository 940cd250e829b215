"""Capture subjects: the capture loop and snapshots (served by ``capture``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from zenith.contracts import ingest
from zenith.contracts.base import Collection, Document, Empty, Endpoint, Event, Message
from zenith.contracts.common import NightDate, StoredTime
from zenith.contracts.ingest import MeteorDoc, MeteorList
from zenith.contracts.ingest import MeteorRecord as MeteorRecord  # its home before the uplink

CaptureState = Literal["running", "stopped", "starting", "paused", "error"]
READ = ("allsky", "read")
UPDATE = ("allsky", "update")


class Status(Message):
    camera: str
    state: CaptureState
    driver: str
    message: str = ""
    started_at: datetime | None = None
    uptime_s: float = 0.0
    last_frame_at: datetime | None = None
    frames: int = Field(0, description="Frames saved since the loop started.")
    exposure_s: float | None = None
    gain: float | None = None
    day_or_night: Literal["day", "night"] | None = None
    sun_altitude: float | None = None
    interval_s: float | None = None
    night: NightDate | None = Field(None, description="Night the last frame belongs to.")
    rejected: int = Field(0, description="Input frames rejected since the loop started.")
    restarts: int = Field(0, description="Watchdog restarts of the camera since start.")
    free_mb: float | None = Field(None, description="Free space where frames are saved, MB.")


LATEST_WAIT_S = 10.0  # beyond its exposure, a running loop's first frame is waited for
SNAPSHOT_QUEUE = 2  # new exposures in hand at once (one exposing, one waiting); then 429


class Snapshot(Message):
    """A frame now. A new exposure (one at a time, exposure capped by the capture
    settings) only when ``fresh`` or the loop is stopped; otherwise the running
    loop's latest frame, so that a snapshot never costs the night a frame."""

    max_width: int = Field(1024, ge=64, le=4096)
    quality: int = Field(90, ge=10, le=100)
    exposure_s: float | None = Field(None, gt=0, le=600)
    image: bool = Field(True, description="Include the JPEG; false: metrics only.")
    fresh: bool = Field(True, description="A new exposure even while the loop runs; "
                        "false: the running loop's latest frame.")


class SnapshotReply(Message):
    camera: str
    taken_at: datetime
    width: int
    height: int
    exposure_s: float
    gain: float
    focus_position: int | None = None
    content_type: Literal["image/jpeg"] = "image/jpeg"
    image_b64: str | None = None
    hfr: float | None = Field(None, description="Median half-flux radius of stars, px.")
    stars: int | None = Field(None, description="Stars detected.")
    sharpness: float | None = Field(None, description="Variance of the Laplacian.")
    latest: bool = Field(False, description="The capture loop's latest frame, not a new "
                         "exposure.")


class Watchdog(Message):
    """The camera stopped delivering and was (or will be) reopened."""

    camera: str
    at: datetime
    driver: str
    reason: Literal["timeout", "errors", "open_failed"]
    message: str
    restarts: int = Field(description="Restarts since the service started.")
    retry_in_s: float = Field(description="Pause before the camera is opened again.")


START = Endpoint(service="capture", name="start", subject="zenith.node.{camera}.capture.start",
                 request=Empty, reply=Status, permission=UPDATE,
                 summary="Start the capture loop (kept across restarts).")
STOP = Endpoint(service="capture", name="stop", subject="zenith.node.{camera}.capture.stop",
                request=Empty, reply=Status, permission=UPDATE,
                summary="Stop the capture loop (kept across restarts).")
RESTART = Endpoint(service="capture", name="restart",
                   subject="zenith.node.{camera}.capture.restart",
                   request=Empty, reply=Status, permission=UPDATE,
                   summary="Stop, reopen the camera and start again.")
STATUS = Endpoint(service="capture", name="status", subject="zenith.node.{camera}.capture.status",
                  request=Empty, reply=Status, permission=READ,
                  summary="State, last frame, exposure, gain, day or night, uptime.")
SNAPSHOT = Endpoint(service="capture", name="snapshot",
                    subject="zenith.node.{camera}.capture.snapshot",
                    request=Snapshot, reply=SnapshotReply, permission=READ,
                    summary="Take one frame now (not saved) and return it as JPEG.")
STATUS_EVENT = Event(name="capture.status", subject="zenith.status.{camera}.capture",
                     stream="STATUS", payload=Status,
                     publishers=("capture",),
                     summary="Capture status on every change (last value kept).")
WATCHDOG = Event(name="capture.watchdog", subject="zenith.events.{camera}.watchdog",
                 stream="EVENTS", payload=Watchdog,
                 publishers=("capture",),
                 summary="The capture watchdog restarted a stalled or failing camera.")



class IngestDoc(Document):
    """A file the folder driver handled (``_id`` = ``<camera>:<path>``)."""

    camera: str
    path: str
    size: int
    mtime_ns: int
    sha256: str | None = None
    status: Literal["ingested", "rejected"]
    reason: str | None = None
    frame_id: str | None = None
    at: str


INGEST_LEDGER = Collection("capture_ingest", "capture", IngestDoc,
                           "Which files the folder driver ingested or rejected.",
                           indexes=(("camera", "sha256"),))


# --- dark frames ----------------------------------------------------------------------------

class DarksRecord(Message):
    """Record a dark (lens capped or a cloudy, dark sky: nothing but the sensor's own signal),
    the average of ``frames`` exposures. Exposure and gain default to the loop's current
    ones; the sensor temperature is what the camera reports."""

    frames: int = Field(10, ge=1, le=100, description="Exposures averaged.")
    exposure_s: float | None = Field(None, gt=0, le=600)
    gain: float | None = Field(None, gt=0, le=10000)


class DarkDoc(Document):
    """A dark of the library (``_id`` = the dark's id)."""

    camera: str
    exposure_s: float
    gain: float
    temperature_c: float | None = Field(None, description="Sensor temperature, °C "
                                        "(None: the camera does not say).")
    frames: int
    width: int
    height: int
    channels: int
    bit_depth: int
    hot_pixels: int = Field(description="Pixels far above the dark's median.")
    key: str = Field(description="Blob key of the averaged dark (NumPy .npy, float32, "
                     "full scale 1).")
    created_at: StoredTime


class Darks(Message):
    camera: str
    darks: list[DarkDoc]


def dark_key(camera: str, dark_id: str) -> str:
    return f"darks/{camera}/{dark_id}.npy"


DARKS = Collection("capture_darks", "capture", DarkDoc,
                   "The dark-frame library: averaged darks by exposure, gain, temperature.",
                   indexes=(("camera",),))
DARKS_RECORD = Endpoint(service="capture", name="darks_record",
                        subject="zenith.node.{camera}.capture.darks.record",
                        request=DarksRecord, reply=DarkDoc, permission=UPDATE,
                        summary="Record a dark into the library (cap the lens first).")
DARKS_LIST = Endpoint(service="capture", name="darks_list",
                      subject="zenith.node.{camera}.capture.darks.list",
                      request=Empty, reply=Darks, permission=READ,
                      summary="The dark library, newest first.")


# --- meteor candidates ----------------------------------------------------------------------
# A node's own candidates have the shape of those AllSkyKamera cameras upload to a hub
# (ingest.MeteorDoc, parts under ingest.meteor_key), so the uplink sends them as they are.

METEOR_PARTS = ingest.ZENITH_METEOR_PARTS
"""JPEG parts of a candidate: the streak cut out, the frame with it marked, the
difference image around it."""


class MeteorNight(Message):
    night: NightDate


CAPTURE_METEORS = Collection("capture_meteors", "capture", MeteorDoc,
                             "This node's meteor candidates, by night (day = night date).",
                             indexes=(("camera", "day"),))
METEORS = Endpoint(service="capture", name="meteors",
                   subject="zenith.node.{camera}.capture.meteors",
                   request=MeteorNight, reply=MeteorList, permission=READ,
                   summary="The meteor candidates of a night, by time.")


class MeteorChanged(Message):
    """A candidate was saved, or withdrawn (the next frame showed a track across
    frames: a satellite or an aircraft)."""

    camera: str
    night: NightDate
    candidate_id: str
    change: Literal["saved", "withdrawn"]
    record: MeteorRecord | None = Field(None, description="What was measured (saved).")
    parts: dict[str, str] = Field(default_factory=dict,
                                  description="Part (crop, marked, diff) -> blob key (saved).")
    at: datetime


def meteor_id(camera: str, night: str, candidate_id: str) -> str:
    """``_id`` of a candidate's document, on the node and on its hub."""
    return f"{camera}:{night}:{candidate_id}"


METEOR_CHANGED = Event(name="capture.meteor", subject="zenith.meteors.{camera}.{change}",
                       stream="METEORS", payload=MeteorChanged,
                       publishers=("capture",),
                       summary="A meteor candidate was saved or withdrawn (the uplink "
                       "sends it to the hub).")

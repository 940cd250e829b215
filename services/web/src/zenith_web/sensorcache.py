"""What a camera's sensor page asks the sensors service, kept in web between
requests: the newest value of each stored field (``sensors.latest``, which
charts the page draws) and each downsampled series (``sensors.series``).

A year of readings makes both the page's dearest questions (a scan of the
camera's points for the newest fields, a year of daily means across the
bus), and neither changes much between two requests. The cache is kept fresh
by the readings themselves (``sensors.SENSOR_READING``) and a safety net:

- a series is kept for :data:`SERIES_TTL_BUCKETS` of its bucket at most
  (24 h with 5-minute points: 25 s; 7 d: 150 s; 30 d: 10 min; 1 y with daily
  points: 2 h), for readings stored without an event (a hub's uploads);
- a reading of the camera heard after a series was asked makes it old once
  it is :data:`SERIES_HOLD_BUCKETS` of a bucket old (24 h: 1 s; 7 d: 6 s;
  30 d: 25 s; 1 y: 5 min), so a chart shows a new reading at most that long
  after it is heard, and a year chart is not redrawn for every reading;
- the newest fields are kept for :data:`LATEST_TTL_S`, and dropped by a
  reading holding a measurement and field they do not (a new chart).

An answer asked for before a reading was heard counts as asked before it,
so an answer older than a reading never passes for newer. Nor does one asked
just after: web hears a reading when the sensors service does, which stores it
a moment later, so an answer that lacks a field a reading brought is not kept
until one holds it (for :data:`PENDING_S` at most: a field that is never
stored, a switched-off sensor's, is then kept without, and not waited for
again for :data:`PENDING_FORGET_S`).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable

from aiohttp import web
from nats.aio.msg import Msg
from pydantic import ValidationError

from zenith.contracts import sensors
from zenith_web import keys

log = logging.getLogger("zenith.web.sensorcache")

SERIES_TTL_BUCKETS = 1 / 12
SERIES_HOLD_BUCKETS = 1 / 288
LATEST_TTL_S = 60.0
PENDING_S = 30.0  # how long a field a reading brought is waited for in the answers
PENDING_FORGET_S = 600.0  # how long a field waited for is not waited for again
MAX_SERIES = 4096  # series kept (then all dropped)
MAX_CAMERAS = 1024  # cameras whose newest fields are kept (then all dropped)

Rows = list[tuple[float, dict[str, float | None]]]


class Columns:
    """A series as columns (its times, each field's values), each field's chart data
    (JSON) and present values worked out once for every page that shows it."""

    def __init__(self, rows: Rows) -> None:
        self.times = [t for t, _ in rows]
        self._rows = rows
        self._values: dict[str, list[float | None]] = {}
        self._data: dict[str, str] = {}
        self._present: dict[str, list[float]] = {}

    def values(self, name: str) -> list[float | None]:
        found = self._values.get(name)
        if found is None:
            found = self._values[name] = [v.get(name) for _, v in self._rows]
        return found

    def data(self, name: str) -> str:
        """``[times, values]`` as compact JSON (what charts.js draws)."""
        found = self._data.get(name)
        if found is None:
            found = json.dumps([self.times, self.values(name)], separators=(",", ":"))
            self._data[name] = found
        return found

    def present(self, name: str) -> list[float]:
        """The values that are there (not missing, finite)."""
        found = self._present.get(name)
        if found is None:
            found = [v for v in self.values(name) if v is not None and math.isfinite(v)]
            self._present[name] = found
        return found


class SensorCache:
    def __init__(
        self, clock: Callable[[], float] = time.monotonic, latest_ttl_s: float | None = None
    ) -> None:
        self.clock = clock
        self.latest_ttl_s = LATEST_TTL_S if latest_ttl_s is None else latest_ttl_s
        self._heard: dict[str, float] = {}  # camera -> when its last reading was heard
        self._latest: dict[str, tuple[float, list[sensors.LatestField], set[tuple[str, str]]]] = {}
        self._series: dict[Hashable, tuple[float, float, Columns]] = {}
        # camera -> (measurement, field) a reading brought -> when first heard
        self._pending: dict[str, dict[tuple[str, str], float]] = {}

    def heard_reading(self, reading: sensors.Reading) -> None:
        """A reading of ``reading.camera``: its series grow old, a new field drops its
        newest fields."""
        now = self._heard[reading.camera] = self.clock()
        kept = self._latest.get(reading.camera)
        brought = {(reading.measurement, f) for f in reading.fields}
        if kept is not None and brought <= kept[2]:
            return
        if kept is not None:
            del self._latest[reading.camera]
        pending = self._pending.get(reading.camera)
        if pending is None:
            if len(self._pending) >= MAX_CAMERAS:
                self._pending.clear()
            pending = self._pending[reading.camera] = {}
        for key in brought:
            if now - pending.get(key, -math.inf) >= PENDING_FORGET_S:
                pending[key] = now

    def forget(self, camera: str | None = None) -> None:
        """Drop what is kept of ``camera`` (every camera's with None)."""
        if camera is None:
            self._latest.clear()
            self._series.clear()
            self._heard.clear()
            self._pending.clear()
            return
        self._heard[camera] = self.clock()
        self._latest.pop(camera, None)
        self._pending.pop(camera, None)

    async def latest(
        self, camera: str, fetch: Callable[[], Awaitable[list[sensors.LatestField]]]
    ) -> list[sensors.LatestField]:
        """The newest value of each of ``camera``'s stored fields, asked with ``fetch``
        when not kept or too old."""
        kept = self._latest.get(camera)
        if kept is not None and self.clock() - kept[0] < self.latest_ttl_s:
            return kept[1]
        asked_at = self.clock()
        found = await fetch()
        heard = self._heard.get(camera)
        if (heard is None or heard < asked_at) and not self._awaited(camera, found):
            # no reading heard while asking, and none not stored yet
            if len(self._latest) >= MAX_CAMERAS:
                self._latest.clear()
            self._latest[camera] = (asked_at, found, {(f.measurement, f.field) for f in found})
        return found

    def _awaited(self, camera: str, found: list[sensors.LatestField]) -> bool:
        """Whether ``found`` lacks a field a reading brought lately (stored a moment
        after it was heard); the fields it holds are waited for no more."""
        pending = self._pending.get(camera)
        if not pending:
            return False
        for f in found:
            pending.pop((f.measurement, f.field), None)
        now = self.clock()
        for key, since in list(pending.items()):
            if now - since >= PENDING_FORGET_S:
                del pending[key]
        return any(now - since < PENDING_S for since in pending.values())

    def _fresh(self, key: Hashable, camera: str) -> Columns | None:
        kept = self._series.get(key)
        if kept is None:
            return None
        asked_at, every_s, rows = kept
        age = self.clock() - asked_at
        if age >= every_s * SERIES_TTL_BUCKETS:
            return None
        heard = self._heard.get(camera)
        if heard is not None and heard >= asked_at and age >= every_s * SERIES_HOLD_BUCKETS:
            return None
        return rows

    async def series(
        self,
        request: sensors.SeriesRequest,
        fetch: Callable[[], Awaitable[Rows]],
    ) -> Columns:
        """The rows (time, values) of ``request`` as columns, asked with ``fetch`` when
        not kept or old. Its start is a moving "now - range": kept by range, not by
        start."""
        every_s = float(request.every_s or 1)
        span = round((time.time() - request.start.timestamp()) / every_s)
        key = (request.model_dump_json(exclude={"start"}), span)
        kept = self._fresh(key, request.camera)
        if kept is not None:
            return kept
        asked_at = self.clock()
        columns = Columns(await fetch())
        if len(self._series) >= MAX_SERIES:
            self._series.clear()
        self._series[key] = (asked_at, every_s, columns)
        return columns


SENSOR_CACHE = web.AppKey("sensor_cache", SensorCache)


async def follow_readings(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: hear the cameras' readings while the app runs."""
    cache = app[SENSOR_CACHE] = SensorCache()

    async def reading(msg: Msg) -> None:
        try:
            event = sensors.Reading.model_validate_json(msg.data)
        except ValidationError:
            camera = msg.subject.split(".")[2] if msg.subject.count(".") >= 2 else None
            log.debug("an unreadable reading on %s", msg.subject)
            cache.forget(camera)
            return
        cache.heard_reading(event)

    sub = await app[keys.NC].subscribe(sensors.SENSOR_READING.wildcard(), cb=reading)
    try:
        yield
    finally:
        await sub.unsubscribe()

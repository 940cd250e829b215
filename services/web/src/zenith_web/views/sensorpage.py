"""A camera's sensor page: one chart per sensor value over 24 h, 7 d, 30 d or
a year, downsampled by the sensors service's store (``sensors.series`` with
``every_s``: InfluxQL ``GROUP BY time`` or the same buckets in SQLite),
never sent raw. The sky metrics capture measures on every frame are charted
for every camera; a node's own sensors (``sensors.current``) beside them,
and what the camera's stored readings hold (``sensors.latest``: on a hub,
what it uploaded in either dialect and through the external sensors' API),
one chart per measurement and field worth one (:data:`LABELS`, a field the
owner labelled, every external sensor's field). The owner's labels and units
title them; hidden and switched-off sensors are left out.
Each chart's summary (last, lowest, highest) is in the HTML; ``charts.js``
draws the series with the vendored uPlot.

The newest fields and the series are kept in web between requests
(:mod:`zenith_web.sensorcache`): a chart shows a reading heard as an event
at most 1/288 of its bucket later (24 h: 1 s, 1 y: 5 min), one stored
without an event at most 1/12 of a bucket later (24 h: 25 s, 1 y: 2 h); a
new sensor's chart appears with its first reading. The owner's labels and
hidden sensors are asked on every request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from aiohttp import web
from pydantic import Field, ValidationError

from zenith.contracts import profiles, sensors
from zenith.contracts.base import Empty, Message
from zenith.errors import NotFound, ZenithError
from zenith_web import keys
from zenith_web.i18n import N_, _
from zenith_web.sensorcache import SENSOR_CACHE, Columns, Rows
from zenith_web.views.sitebus import ask, camera_of, registry
from zenith_web.views.sitepage import html_page, not_found

RangeName = Literal["24h", "7d", "30d", "1y"]
# range -> (length, bucket): at most ~400 points a chart
RANGES: dict[str, tuple[timedelta, int]] = {
    "24h": (timedelta(hours=24), 300),
    "7d": (timedelta(days=7), 1800),
    "30d": (timedelta(days=30), 7200),
    "1y": (timedelta(days=365), 86400),
}
# (measurement field) -> (title, unit)
LABELS: dict[str, tuple[str, str]] = {  # the values worth a chart, by field name
    "temp": (N_("Temperature"), "°C"),
    "hum": (N_("Humidity"), "%"),
    "press": (N_("Pressure"), "hPa"),
    "dewpoint": (N_("Dew point"), "°C"),
    "sqm": (N_("Sky brightness (SQM)"), "mag/arcsec²"),
    "cloud_cover": (N_("Cloud cover"), "0–1"),
    "stars": (N_("Stars"), ""),
    "SQM_RAW": (N_("Sky brightness (SQM)"), "mag/arcsec²"),
    "Lux": (N_("Light"), "lx"),
    "Tsky": (N_("Sky temperature"), "°C"),
    "DeltaSimple": (N_("Cloud score (sky − ambient)"), "K"),
    "Ambient": (N_("Ambient temperature"), "°C"),
    "raspiTemp": (N_("Pi temperature"), "°C"),
    "raspiDiskPercent": (N_("Disk used"), "%"),
}
SKY_FIELDS = ("sqm", "cloud_cover", "stars")
EXTERNAL = "ext_sensors"  # the measurement of POST /api/v1/weather.php
MAX_CHARTS = 48


class SensorQuery(Message):
    range: RangeName = Field("24h", description="24h, 7d, 30d or 1y.")


@dataclass
class Chart:
    id: str
    title: str
    unit: str
    sensor: str
    measurement: str
    value: str
    tagged: bool = True  # the points carry the sensor's name as their sensor tag
    columns: Columns = field(default_factory=lambda: Columns([]))  # its measurement's series

    @property
    def present(self) -> list[float]:
        return self.columns.present(self.value)

    @property
    def data(self) -> str:
        return self.columns.data(self.value)


Channel = tuple[str, str, str, bool]  # sensor, measurement, field, tagged


def channels(current: list[sensors.Reading]) -> list[Channel]:
    """(sensor, measurement, field, tagged) of the sky metrics and of each sensor's values."""
    out = [(sensors.SKY_SENSOR, sensors.SKY_SENSOR, f, False) for f in SKY_FIELDS]
    for reading in sorted(current, key=lambda r: r.sensor):
        if reading.sensor == sensors.SKY_SENSOR:
            continue
        out.extend(
            (reading.sensor, reading.measurement, f, True)
            for f in sorted(reading.fields)
            if f in LABELS
        )
    return out


def stored_channels(
    latest: list[sensors.LatestField], known: list[Channel], labelled: set[str], hidden: set[str]
) -> list[Channel]:
    """The stored readings' fields worth a chart that ``known`` does not chart yet: a
    sensor's name is its sensor tag, else (line protocol) its measurement."""
    seen = {(c[0], c[1], c[2]) for c in known}
    out: list[Channel] = []
    for f in sorted(latest, key=lambda x: (x.sensor or x.measurement, x.measurement, x.field)):
        name = f.sensor or f.measurement
        if (
            f.measurement == sensors.SKY_SENSOR
            or name in hidden
            or (name, f.measurement, f.field) in seen
        ):
            continue
        if (
            f.field in LABELS
            or f"{f.measurement}:{f.field}" in labelled
            or f.measurement == EXTERNAL
        ):
            seen.add((name, f.measurement, f.field))
            out.append((name, f.measurement, f.field, f.sensor is not None))
    return out


async def latest_fields(request: web.Request, camera: str) -> list[sensors.LatestField]:
    """The newest value of each field the camera's stored readings hold (kept a
    little: :mod:`zenith_web.sensorcache`)."""

    async def fetch() -> list[sensors.LatestField]:
        return (await ask(request, sensors.LATEST, sensors.LatestRequest(camera=camera))).fields

    try:
        return await request.app[SENSOR_CACHE].latest(camera, fetch)
    except ZenithError:
        return []


async def series(
    request: web.Request, camera: str, group: list[Chart], start: datetime, every_s: int
) -> None:
    """Fill the charts of one sensor's measurement with one downsampled query."""
    first = group[0]
    body = sensors.SeriesRequest(
        camera=camera,
        measurement=first.measurement,
        fields=[c.value for c in group],
        start=start,
        every_s=every_s,
        aggregate="mean",
        max_points=1000,
        sensor=first.sensor if first.tagged else None,
    )

    async def fetch() -> Rows:
        reply = await ask(request, sensors.SERIES, body)
        return [(row.time.timestamp(), row.values) for row in reply.rows]

    try:
        columns = await request.app[SENSOR_CACHE].series(body, fetch)
    except ZenithError:
        return
    for chart in group:
        chart.columns = columns


async def current_readings(request: web.Request, camera: str) -> list[sensors.Reading]:
    """The camera's sensors and their last values (none when no sensors service answers)."""
    try:
        return (await ask(request, sensors.CURRENT, Empty(), camera=camera)).readings
    except ZenithError:
        return []


async def owner_choices(
    request: web.Request, camera: str
) -> tuple[set[str], dict[str, profiles.FieldLabel]]:
    """The sensors the owner does not show (hidden or switched off) and the labels and
    units they chose, from one profile request (none on a node)."""
    try:
        found = await ask(request, profiles.PROFILE_GET, profiles.ProfileRef(camera=camera))
    except ZenithError:
        return set(), {}
    return set(found.hidden_sensors) | set(found.disabled_sensors), dict(found.field_labels)


async def sensor_page(request: web.Request) -> web.Response:
    try:
        camera = camera_of(request)
        reg, current, (hidden, owner_labels), latest = await asyncio.gather(
            registry(request, camera),
            current_readings(request, camera),
            owner_choices(request, camera),
            latest_fields(request, camera),
        )
        current = [r for r in current if r.sensor not in hidden]  # the owner's choice
    except NotFound as exc:
        return not_found(request, exc.message)
    try:
        query = SensorQuery.model_validate(dict(request.query))
    except ValidationError:
        query = SensorQuery()
    length, every_s = RANGES[query.range]
    start = datetime.now(UTC) - length
    charts = []
    groups: dict[tuple[str, str, bool], list[Chart]] = {}
    wanted = channels(current)
    wanted += stored_channels(latest, wanted, set(owner_labels), hidden)
    for n, (sensor, measurement, name, tagged) in enumerate(wanted[:MAX_CHARTS]):
        title, unit = LABELS.get(name, (name.replace("_", " ").capitalize(), ""))
        title = _(title)
        chosen = owner_labels.get(f"{measurement}:{name}")  # the owner's label and unit
        if chosen is not None:
            title, unit = chosen.label or title, chosen.unit or unit
        if sensor != sensors.SKY_SENSOR:
            title = f"{title} · {sensor}"
        chart = Chart(
            id=f"chart-{n}",
            title=title,
            unit=unit,
            sensor=sensor,
            measurement=measurement,
            value=name,
            tagged=tagged,
        )
        groups.setdefault((sensor, measurement, tagged), []).append(chart)
        charts.append(chart)
    await asyncio.gather(
        *(series(request, camera, group, start, every_s) for group in groups.values())
    )
    name = reg.name if reg is not None else request.app[keys.SETTINGS].site_name
    return html_page(
        request,
        "site/sensors.html",
        "sensors",
        camera_id=camera,
        camera_name=name,
        charts=charts,
        range=query.range,
        ranges=list(RANGES),
        every_s=every_s,
        start=int(start.timestamp()),
        end=int(datetime.now(UTC).timestamp()),
    )

"""Sensor readings, the sensors service's endpoints, its status events.

A reading is one event on ``zenith.sensors.<camera>.<sensor>`` (stream
SENSORS); the sensors service's store consumer writes every one of them,
local or uploaded, to the SeriesStore. Measurement and field names follow
the AllSkyKamera client, so the same charts serve a node, a hub and an
AllSkyKamera camera:

- ``bme280``, ``sht3x``, ``htu21``, ``dht22``: ``temp`` (°C), ``hum`` (%),
  ``dewpoint`` (°C); ``bme280`` also ``press`` (hPa);
- ``ds18b20``: ``temp``;
- ``tsl2591``: ``Lux``, ``Visible``, ``IR``, ``Full``, ``CH0``, ``CH1``,
  ``IRRatio``, ``SQM_RAW``, ``SQM_LUX``, ``SQM_CONST``, ``IntegrationMs``,
  ``GainCode``, ``GoodRead``;
- ``mlx90614``: ``Ambient``, ``Object``, ``DeltaSimple``, ``Tsky``,
  ``CloudState`` (0 clear .. 3 overcast);
- ``raspistatus``: ``raspiTemp``, ``raspiDiskUsage`` and ``raspiDiskFree``
  (MB), ``raspiDiskPercent``, ``raspiBootime`` (s since boot),
  ``raspiCpuPercent``, ``raspiMemPercent``, ``raspiMemUsedMB``,
  ``raspiMemTotalMB``, ``raspiThrottled``, ``online``;
- ``heater``: ``relay_on`` (0/1), ``duty`` (%), ``t_in``, ``rh``,
  ``dewpoint``, ``spread``, ``t_out``; ``fan``: ``relay_on``, ``temp``;
- ``sky`` (written by capture): see :data:`SKY_SENSOR`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from zenith.contracts.base import Empty, Endpoint, Event, Message
from zenith.ids import CameraId

READ = ("sensors", "read")
UPDATE = ("sensors", "update")

MEASUREMENT_PATTERN = r"^[A-Za-z0-9_]{1,32}$"
FIELD_PATTERN = r"^[A-Za-z0-9_]{1,64}$"


class Reading(Message):
    camera: str
    sensor: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    measurement: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    time: datetime
    fields: dict[str, float]
    tags: dict[str, str] = Field(default_factory=dict)


SENSOR_READING = Event(name="sensor.reading", subject="zenith.sensors.{camera}.{sensor}",
                       stream="SENSORS", payload=Reading,
                       publishers=("sensors", "capture", "web"),
                       summary="A sensor or sky-metric reading.")


SKY_SENSOR = "sky"
"""Sensor name (and SeriesStore measurement) of per-frame sky metrics:
fields mean, stars, hfr, sharpness, sqm, cloud_cover, exposure_s, gain,
sun_altitude; tag camera."""


SensorHealth = Literal["starting", "ok", "failed", "disabled"]
"""``disabled``: configured, but switched off (:data:`DISABLED_SET`): not read."""


class SensorState(Message):
    name: str
    driver: str
    measurement: str
    simulated: bool
    interval_s: float
    status: SensorHealth
    failures: int = Field(0, description="Failed reads in a row.")
    error: str | None = Field(None, description="Why the last read failed.")
    last_reading: Reading | None = None
    next_try: datetime | None = Field(None, description="When a failed sensor is read again.")


SENSOR_STATUS = Event(name="sensor.status", subject="zenith.status.{camera}.sensor.{sensor}",
                      stream="STATUS", payload=SensorState,
                      publishers=("sensors",),
                      summary="A sensor's health on every change (ok, failed; last kept).")


class CurrentReply(Message):
    readings: list[Reading] = Field(description="The latest reading of each sensor.")


class Override(Message):
    state: Literal["on", "off"]
    duty_percent: float | None = Field(None, ge=0, le=100)
    until: datetime


class ControlState(Message):
    name: str
    kind: Literal["heater", "fan"]
    pin: int
    mode: Literal["pwm", "onoff"]
    on: bool
    duty_percent: float = Field(description="0..100; an on/off output is 0 or 100.")
    reason: str
    rule: str = Field(description="The rule in words, e.g. 'on below 3.0 °C spread'.")
    override: Override | None = None
    error: str | None = Field(None, description="Why the last pin change failed.")


class ActiveAlert(Message):
    rule: str
    kind: str
    since: datetime
    message: str


class StatusReply(Message):
    camera: str
    sensors: list[SensorState]
    controls: list[ControlState]
    alerts: list[ActiveAlert]


class OverrideRequest(Message):
    name: str = Field(pattern=r"^[a-z0-9_-]{1,32}$", description="A heater or fan rule's name.")
    state: Literal["on", "off", "auto"] = Field(description="auto ends an override.")
    duty_percent: float | None = Field(None, ge=0, le=100,
                                       description="PWM heaters: the duty while on.")
    minutes: float = Field(60, gt=0, le=7 * 24 * 60, description="How long it holds.")


class SeriesRequest(Message):
    camera: CameraId
    measurement: str = Field(pattern=MEASUREMENT_PATTERN)
    fields: list[str] = Field(min_length=1, max_length=32)
    start: datetime
    end: datetime | None = Field(None, description="Default: now.")
    every_s: float | None = Field(None, gt=0, le=366 * 86400,
                                  description="Downsample to one row per window.")
    aggregate: Literal["mean", "min", "max", "last"] = "mean"
    sensor: str | None = Field(None, pattern=r"^[a-z0-9_-]{1,32}$",
                               description="Only points tagged with this sensor.")
    max_points: int = Field(5000, ge=1, le=50_000, description="More rows are refused; "
                            "ask with a wider every_s.")


class SeriesRow(Message):
    time: datetime
    values: dict[str, float | None]


class SeriesReply(Message):
    camera: str
    measurement: str
    every_s: float | None
    aggregate: str
    rows: list[SeriesRow]


class LatestRequest(Message):
    camera: CameraId
    measurement: str | None = Field(None, pattern=MEASUREMENT_PATTERN,
                                    description="Only this measurement (default: every one).")


class LatestField(Message):
    measurement: str
    sensor: str | None = Field(None, description="The point's sensor tag, if any.")
    field: str
    time: datetime = Field(description="When this field last arrived.")
    value: float


class LatestReply(Message):
    camera: str
    fields: list[LatestField] = Field(description="By measurement, sensor, field.")


MAX_LATEST_MEASUREMENTS = 100

SensorName = Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,32}$")]


class DisabledSet(Message):
    """The sensors of this node that are switched off (every other configured one is read)."""

    disabled: list[SensorName] = Field(max_length=64, description="Sensor names; names "
                                       "not in the configuration are kept for later.")


class DisabledReply(Message):
    disabled: list[str]
    sensors: list[SensorState] = Field(description="The configured sensors' states after "
                                       "the change.")


class UsageRequest(Message):
    camera: CameraId
    measurements: list[Annotated[str, Field(pattern=MEASUREMENT_PATTERN)]] = Field(
        min_length=1, max_length=16)


class MeasurementUsage(Message):
    measurement: str
    points: int = Field(description="Stored points (readings) of the camera.")
    bytes: int = Field(description="Their size: measured on SQLite (the stored rows of a "
                       "sample, times the count), estimated on InfluxDB (the newest point's "
                       "line protocol times the count).")


class UsageReply(Message):
    camera: str
    measurements: list[MeasurementUsage]


CURRENT = Endpoint(service="sensors", name="current",
                   subject="zenith.node.{camera}.sensors.current",
                   request=Empty, reply=CurrentReply, permission=READ,
                   summary="The latest reading of every sensor of this node.")
STATUS = Endpoint(service="sensors", name="status", subject="zenith.node.{camera}.sensors.status",
                  request=Empty, reply=StatusReply, permission=READ,
                  summary="Sensors' health, heater and fan state with their rules, "
                  "active alerts.")
OVERRIDE = Endpoint(service="sensors", name="override",
                    subject="zenith.node.{camera}.sensors.override",
                    request=OverrideRequest, reply=ControlState, permission=UPDATE,
                    summary="Force a heater or fan on or off until an expiry (auto ends it).",
                    errors=("not_found",))
LATEST = Endpoint(service="sensors", name="latest", subject="zenith.readings.latest",
                  request=LatestRequest, reply=LatestReply, permission=READ,
                  summary="The newest value of every field a camera's readings hold, per "
                  "measurement and sensor, from the SeriesStore (on a hub: what cameras "
                  "uploaded).", errors=("invalid_request",))
DISABLED_SET = Endpoint(service="sensors", name="disabled-set",
                       subject="zenith.node.{camera}.sensors.disabled",
                       request=DisabledSet, reply=DisabledReply, permission=UPDATE,
                       summary="Switch sensors off (not read until switched on again; "
                       "kept over restarts); a node's uplink sends its hub owner's choice.",
                       errors=("invalid_request",))
USAGE = Endpoint(service="sensors", name="usage", subject="zenith.readings.usage",
                 request=UsageRequest, reply=UsageReply, permission=READ,
                 summary="How many points of each measurement a camera has stored, and "
                 "their bytes (the owner's data size).", errors=("invalid_request",))
SERIES = Endpoint(service="sensors", name="series", subject="zenith.readings.series",
                  request=SeriesRequest, reply=SeriesReply, permission=READ,
                  summary="A camera's readings in a time range, downsampled by the store.",
                  errors=("invalid_request", "too_many_points"))

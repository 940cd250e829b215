"""Sensor readings: one event per reading, also written to the SeriesStore."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from zenith.contracts.base import Event, Message


class Reading(Message):
    camera: str
    sensor: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    measurement: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    time: datetime
    fields: dict[str, float]
    tags: dict[str, str] = Field(default_factory=dict)


SENSOR_READING = Event(name="sensor.reading", subject="zenith.sensors.{camera}.{sensor}",
                       stream="SENSORS", payload=Reading,
                       summary="A sensor or sky-metric reading.")


SKY_SENSOR = "sky"
"""Sensor name (and SeriesStore measurement) of per-frame sky metrics:
fields mean, stars, hfr, sharpness, sqm, cloud_cover, exposure_s, gain,
sun_altitude; tag camera."""

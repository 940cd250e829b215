"""Alerts: declared rules raise one event when a condition starts and one
when it ends (never a repeat while it holds), on ``zenith.alerts.<camera>``.

The sensors service evaluates the rules and delivers each event to the
configured channels (webhook, MQTT, email)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from zenith.contracts.base import Event, Message

AlertKind = Literal["dew_risk", "humidity_high", "disk_full", "camera_offline", "sky_clear",
                    "sensor_failed"]


class Alert(Message):
    id: str = Field(description="Same for the start and the end of one alert.")
    camera: str
    rule: str
    kind: AlertKind
    state: Literal["start", "end"]
    time: datetime
    message: str
    value: float | None = None


ALERT = Event(name="alert", subject="zenith.alerts.{camera}", stream="ALERTS", payload=Alert,
              publishers=("sensors",),
              summary="An alert started or ended (dew risk, sky clear, camera offline...).")

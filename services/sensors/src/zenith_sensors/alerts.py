"""Alert rules: one event when a condition starts, one when it ends.

A condition is tracked per rule and sensor. It must hold for the rule's
``for_s`` before the alert starts; while it holds nothing is repeated; when
it stops holding the end is announced (same ``id``). Each start and end is
published on ``zenith.alerts.<camera>`` and handed to the channels.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from datetime import datetime

from pydantic import BaseModel

from zenith.contracts import alerts, sensors
from zenith.timefmt import utcnow
from zenith_sensors.config import AlertRule
from zenith_sensors.dewpoint import dew_point
from zenith_sensors.metrics import ALERTS

log = logging.getLogger("zenith.sensors")

Deliver = Callable[[alerts.Alert], Awaitable[None]]

DEFAULT_RULES = (
    AlertRule(name="dew-risk", kind="dew_risk", bound=2.0),
    AlertRule(name="humidity-high", kind="humidity_high", bound=95.0, for_s=600),
    AlertRule(name="disk-full", kind="disk_full", bound=90.0),
    AlertRule(name="camera-offline", kind="camera_offline", for_s=600),
    AlertRule(name="sky-clear", kind="sky_clear", bound=0.2, for_s=1800),
    AlertRule(name="sensor-failed", kind="sensor_failed", bound=3),
)


class Tracked(BaseModel):
    """One condition of one rule and sensor (a KV record on a hub)."""

    since: datetime | None = None  # condition true since
    alert: alerts.Alert | None = None  # the started alert


def step(t: Tracked, camera: str, rule: AlertRule, sensor: str, holds: bool, value: float,
         message: str, now: datetime, *, wait: bool = True) -> alerts.Alert | None:
    """Move ``t`` on by one observation; the alert to announce (start or end), if any.

    The condition must hold for ``rule.for_s`` (unless ``wait`` is false)
    before the start; while it holds nothing more; when it stops the end,
    with the start's ``id``."""
    if holds:
        if t.since is None:
            t.since = now
        if t.alert is None and (not wait or (now - t.since).total_seconds() >= rule.for_s):
            t.alert = alerts.Alert(
                id=f"{camera}-{rule.name}-{sensor}-{now:%Y%m%dT%H%M%S}",
                camera=camera, rule=rule.name, kind=rule.kind, state="start",
                time=now, message=message, value=value)
            return t.alert
        return None
    t.since = None
    if t.alert is None:
        return None
    ended = t.alert.model_copy(update={"state": "end", "time": now, "message": message,
                                       "value": value})
    t.alert = None
    return ended


def beside(value: float, bound: float, digits: int) -> float:
    """``value`` rounded to ``digits`` without crossing ``bound``: a spread of
    0.996 under a bound of 1 is shown and sent as 0.99, not as 1.0."""
    shown = round(value, digits)
    if value < bound <= shown:
        shown = math.floor(value * 10 ** digits) / 10 ** digits
    return shown


def condition(rule: AlertRule, reading: sensors.Reading) -> tuple[bool, float, str] | None:
    """(holds, value, words), or None when the reading says nothing about the rule."""
    f = reading.fields
    if rule.sensor is not None and reading.sensor != rule.sensor:
        return None
    if reading.measurement in ("heater", "fan"):
        return None
    bound = rule.bound if rule.bound is not None else 0.0
    if rule.kind == "dew_risk" and "temp" in f and ("dewpoint" in f or "hum" in f):
        dew = f["dewpoint"] if "dewpoint" in f else dew_point(f["temp"], f["hum"])
        spread = f["temp"] - dew
        return spread < bound, beside(spread, bound, 2), \
            f"{reading.sensor}: {beside(spread, bound, 1):.1f} °C above the dew point " \
            f"(under {bound:g} °C)"
    if rule.kind == "humidity_high" and "hum" in f:
        return f["hum"] > bound, f["hum"], f"{reading.sensor}: humidity {f['hum']:.0f} %"
    if rule.kind == "disk_full" and "raspiDiskPercent" in f:
        value = f["raspiDiskPercent"]
        return value > bound, value, f"disk {value:.0f} % full"
    if rule.kind == "sky_clear":
        if "cloud_cover" in f:
            cover = f["cloud_cover"]
        elif "CloudState" in f:
            cover = f["CloudState"] / 3.0
        else:
            return None
        return cover < bound, beside(cover, bound, 3), \
            f"cloud cover {beside(cover, bound, 2):.0%}"
    return None


class AlertEngine:
    def __init__(self, camera: str, rules: list[AlertRule] | tuple[AlertRule, ...],
                 deliver: Deliver) -> None:
        self.camera = camera
        self.rules = list(rules)
        self.deliver = deliver
        self.tracked: dict[tuple[str, str], Tracked] = {}
        self.last_frame: datetime = utcnow()

    def active(self) -> list[sensors.ActiveAlert]:
        return [sensors.ActiveAlert(rule=a.rule, kind=a.kind, since=a.time, message=a.message)
                for t in self.tracked.values() if (a := t.alert) is not None]

    async def on_reading(self, reading: sensors.Reading) -> None:
        for rule in self.rules:
            result = condition(rule, reading)
            if result is not None:
                await self._update(rule, reading.sensor, *result, now=reading.time)

    async def on_sensor_state(self, state: sensors.SensorState) -> None:
        for rule in self.rules:
            if rule.kind != "sensor_failed" or rule.sensor not in (None, state.name):
                continue
            bound = int(rule.bound or 3)
            holds = state.status == "failed" and state.failures >= bound
            if state.status == "failed" and not holds:
                continue  # failing, not yet long enough: neither start nor end
            await self._update(rule, state.name, holds, float(state.failures),
                               f"sensor {state.name} failed: {state.error}" if holds
                               else f"sensor {state.name} reads again")

    def on_frame(self, taken_at: datetime | None = None) -> None:
        self.last_frame = taken_at or utcnow()

    async def tick(self, now: datetime | None = None) -> None:
        now = now or utcnow()
        silent = (now - self.last_frame).total_seconds()
        for rule in self.rules:
            if rule.kind == "camera_offline":
                holds = silent >= rule.for_s
                await self._update(rule, "camera", holds, round(silent),
                                   f"no frame for {silent / 60:.0f} min" if holds
                                   else "frames arrive again", now=now, wait=False)

    async def _update(self, rule: AlertRule, sensor: str, holds: bool, value: float,
                      message: str, *, now: datetime | None = None, wait: bool = True) -> None:
        t = self.tracked.setdefault((rule.name, sensor), Tracked())
        alert = step(t, self.camera, rule, sensor, holds, value, message, now or utcnow(),
                     wait=wait)
        if alert is not None:
            await send(self.deliver, alert)


async def send(deliver: Deliver, alert: alerts.Alert) -> None:
    ALERTS.labels(alert.kind, alert.state).inc()
    log.info("alert %s %s %s: %s", alert.camera, alert.rule, alert.state, alert.message)
    await deliver(alert)

"""Dew heaters and fans: rules over the latest readings, pins through gpio.

Each output is evaluated when a reading of its sensor arrives and every
``control_interval_s`` (so overrides expire and stale readings switch the
output off). A decision that changes the output is sent to the gpio
service (``gpio.pwm.set`` or ``gpio.digital.set``, with the rule's name as
the pin's name, so ``/gpio/all`` shows who drives it); a failed change is
tried again at the next evaluation. Every evaluation of a heater is logged
as a ``heater`` reading (``relay_on``, ``duty``, ``t_in``, ``rh``,
``dewpoint``, ``spread``, ``t_out``), of a fan as ``fan``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from zenith.bus import BusClient
from zenith.bus.kv import Records
from zenith.contracts import gpio, sensors
from zenith.errors import NotFound, ZenithError
from zenith.timefmt import utcnow
from zenith_sensors.backends.night import Night
from zenith_sensors.config import FanRule, HeaterRule
from zenith_sensors.dewpoint import dew_point

log = logging.getLogger("zenith.sensors")
DUTY_MAX = 65535

Emit = Callable[[sensors.Reading], Awaitable[None]]


@dataclass
class Output:
    rule: HeaterRule | FanRule
    kind: str
    on: bool = False
    duty: float = 0.0
    reason: str = "not evaluated yet"
    override: sensors.Override | None = None
    applied: tuple[bool, float] | None = None  # what gpio last accepted
    error: str | None = None
    extra: dict[str, float] = field(default_factory=dict)

    def state(self) -> sensors.ControlState:
        mode = self.rule.mode if isinstance(self.rule, HeaterRule) else "onoff"
        return sensors.ControlState(
            name=self.rule.name, kind="heater" if self.kind == "heater" else "fan",
            pin=self.rule.pin, mode=mode, on=self.on, duty_percent=round(self.duty, 1),
            reason=self.reason, rule=self.rule.describe(), override=self.override,
            error=self.error)


class Controls:
    """The outputs; overrides are kept in ``records`` (KV ``zenith-sensors``), so
    an override survives a restart until it expires."""

    def __init__(self, heaters: list[HeaterRule], fans: list[FanRule], camera: str,
                 bus: BusClient, emit: Emit, records: Records[sensors.Override],
                 night: Night | None = None) -> None:
        self.camera = camera
        self.bus = bus
        self.emit = emit
        self.records = records
        self.night = night
        self.outputs: dict[str, Output] = {}
        for h in heaters:
            self.outputs[h.name] = Output(h, "heater")
        for f in fans:
            self.outputs[f.name] = Output(f, "fan")
        self.latest: dict[str, sensors.Reading] = {}

    def states(self) -> list[sensors.ControlState]:
        return [o.state() for o in self.outputs.values()]

    async def on_reading(self, reading: sensors.Reading) -> None:
        if reading.measurement in ("heater", "fan"):
            return
        self.latest[reading.sensor] = reading
        for out in self.outputs.values():
            if reading.sensor in (out.rule.sensor, getattr(out.rule, "outside_sensor", None)):
                await self.evaluate(out)

    async def tick(self) -> None:
        for out in self.outputs.values():
            await self.evaluate(out)

    async def restore(self) -> int:
        """Overrides saved before a restart that have not expired yet."""
        restored = 0
        now = utcnow()
        for name, out in self.outputs.items():
            saved = await self.records.get(name)
            if saved is not None and saved.until > now:
                out.override = saved
                restored += 1
        return restored

    async def set_override(self, body: sensors.OverrideRequest) -> sensors.ControlState:
        out = self.outputs.get(body.name)
        if out is None:
            raise NotFound(f"no heater or fan named {body.name!r} "
                           f"(known: {', '.join(self.outputs) or 'none'})")
        if body.state == "auto":
            await self.records.delete(body.name)  # saved first: a failure changes nothing
            out.override = None
        else:
            duty = body.duty_percent if body.state == "on" else 0.0
            override = sensors.Override(state=body.state, duty_percent=duty,
                                        until=utcnow() + timedelta(minutes=body.minutes))
            await self.records.put(body.name, override)
            out.override = override
        await self.evaluate(out)
        return out.state()

    def _fresh(self, name: str | None, now: datetime, stale_s: float) -> sensors.Reading | None:
        reading = self.latest.get(name) if name else None
        if reading is None or (now - reading.time).total_seconds() > stale_s:
            return None
        return reading

    def _decide_heater(self, out: Output, rule: HeaterRule, now: datetime) -> None:
        inside = self._fresh(rule.sensor, now, rule.stale_s)
        outside = self._fresh(rule.outside_sensor, now, rule.stale_s)
        out.extra = {}
        if outside is not None:
            t_out = outside.fields.get("temp", outside.fields.get("Ambient"))
            if t_out is not None:
                out.extra["t_out"] = t_out
        if inside is None or "temp" not in inside.fields:
            out.on, out.duty, out.reason = False, 0.0, f"no fresh reading from {rule.sensor}"
            return
        f = inside.fields
        temp = f["temp"]
        if "dewpoint" in f:
            dew = f["dewpoint"]
        elif "hum" in f:
            dew = dew_point(temp, f["hum"])
        else:
            out.on, out.duty, out.reason = False, 0.0, f"{rule.sensor} gives no dew point"
            return
        spread = temp - dew
        out.extra.update({"t_in": temp, "dewpoint": round(dew, 2), "spread": round(spread, 2)})
        if "hum" in f:
            out.extra["rh"] = f["hum"]
        if rule.max_temp_c is not None and temp >= rule.max_temp_c:
            out.on, out.duty = False, 0.0
            out.reason = f"{temp:.1f} °C at or above max {rule.max_temp_c:g} °C"
        elif rule.mode == "pwm":
            share = (rule.on_spread_c - spread) / (rule.on_spread_c - rule.full_spread_c)
            out.duty = round(min(max(share, 0.0), 1.0) * 100.0, 1)
            out.on = out.duty > 0
            out.reason = f"spread {spread:.2f} °C: duty {out.duty:g} %"
        elif out.on:
            out.on = spread < rule.off_spread_c
            out.reason = (f"spread {spread:.2f} °C < off {rule.off_spread_c:g} °C" if out.on
                          else f"spread {spread:.2f} °C >= off {rule.off_spread_c:g} °C")
        else:
            out.on = spread <= rule.on_spread_c
            out.reason = (f"spread {spread:.2f} °C <= on {rule.on_spread_c:g} °C" if out.on
                          else f"spread {spread:.2f} °C > on {rule.on_spread_c:g} °C")
        if rule.mode == "onoff":
            out.duty = 100.0 if out.on else 0.0

    def _decide_fan(self, out: Output, rule: FanRule, now: datetime) -> None:
        reading = self._fresh(rule.sensor, now, rule.stale_s)
        value = reading.fields.get(rule.field) if reading else None
        if value is None:
            out.on, out.reason = False, f"no fresh {rule.field} from {rule.sensor}"
        elif value > rule.on_above_c:
            out.on, out.reason = True, f"{value:.1f} °C above {rule.on_above_c:g} °C"
        elif value < rule.off_below_c:
            out.on, out.reason = False, f"{value:.1f} °C below {rule.off_below_c:g} °C"
        else:
            out.reason = f"{value:.1f} °C between the bounds: stays {'on' if out.on else 'off'}"
        out.duty = 100.0 if out.on else 0.0
        out.extra = {} if value is None else {"temp": value}

    async def evaluate(self, out: Output) -> None:
        now = utcnow()
        if out.override is not None and out.override.until <= now:
            out.override = None
        if out.override is not None:
            out.on = out.override.state == "on"
            out.duty = (out.override.duty_percent or 100.0) if out.on else 0.0
            if isinstance(out.rule, HeaterRule) and out.rule.mode == "onoff":
                out.duty = 100.0 if out.on else 0.0
            out.reason = f"override until {out.override.until:%H:%M} UTC"
        elif isinstance(out.rule, HeaterRule):
            self._decide_heater(out, out.rule, now)
        else:
            self._decide_fan(out, out.rule, now)
        await self._apply(out)
        if self.night is not None and out.kind == "heater":
            self.night.heating = out.duty / 100.0
        fields = {"relay_on": 1.0 if out.on else 0.0, "duty": out.duty, **out.extra}
        await self.emit(sensors.Reading(
            camera=self.camera, sensor=out.rule.name, measurement=out.kind, time=now,
            fields=fields, tags={"sensor": out.rule.name}))

    async def _apply(self, out: Output) -> None:
        want = (out.on, out.duty)
        if out.applied == want:
            return
        rule = out.rule
        try:
            if isinstance(rule, HeaterRule) and rule.mode == "pwm":
                duty = 100.0 - out.duty if rule.invert else out.duty
                await self.bus.request(gpio.PWM_SET, gpio.PwmSet(
                    pin=rule.pin, frequency=rule.frequency_hz,
                    duty=round(duty / 100.0 * DUTY_MAX), name=rule.name), camera=self.camera)
            else:
                level = out.on != rule.invert
                await self.bus.request(gpio.DIGITAL_SET, gpio.DigitalSet(
                    pin=rule.pin, state="on" if level else "off", name=rule.name),
                    camera=self.camera)
        except ZenithError as exc:
            if out.error != exc.message:
                log.warning("%s on pin %d: %s", rule.name, rule.pin, exc.message)
            out.error = exc.message
            out.applied = None
            return
        out.applied = want
        out.error = None
        log.info("%s %s (%s)", rule.name, f"on {out.duty:g} %" if out.on else "off", out.reason)

"""The pin model: each BCM pin 0..27 is unused, a digital input, a digital
output or PWM, driven through one gpiozero pin factory.

Every change to a pin runs under that pin's lock: the hardware is changed,
then the record is saved in the ``zenith-gpio`` bucket; if either step
fails, the pin goes back to what it was and the caller gets the error, so
the pin, the saved record and the last reply always agree. Pins the
focuser drives are reserved: every operation on them is a 409.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from typing import Any, TypeAlias

from gpiozero import (
    DigitalInputDevice,
    DigitalOutputDevice,
    Factory,
    GPIOPinInUse,
    PinFixedPull,
    PWMOutputDevice,
)

from zenith.contracts.common import MAX_PIN, OnOff
from zenith.contracts.gpio import AllReply, PinInfo, PinMode, PwmState, StatusReply
from zenith.errors import BadRequest, Conflict, Internal, ZenithError
from zenith_gpio.metrics import PIN_CHANGES
from zenith_gpio.store import JsonBucket

log = logging.getLogger("zenith.gpio")

PINS = range(MAX_PIN + 1)
DUTY_MAX = 65535
Device: TypeAlias = DigitalInputDevice | DigitalOutputDevice | PWMOutputDevice


@dataclass(frozen=True)
class PinRecord:
    """What a pin is set to; saved as JSON and replayed on start."""

    mode: PinMode = "unused"
    value: bool | None = None
    frequency: int | None = None
    duty: int | None = None
    name: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PinRecord:
        mode = data.get("mode")
        if mode not in ("unused", "digital-input", "digital-output", "pwm"):
            raise ValueError(f"unknown mode {mode!r}")
        record = cls(mode=mode, value=data.get("value"), frequency=data.get("frequency"),
                     duty=data.get("duty"), name=data.get("name"))
        if mode == "digital-output" and not isinstance(record.value, bool):
            raise ValueError("an output needs a true/false value")
        if mode == "pwm" and not (isinstance(record.frequency, int) and record.frequency > 0
                                  and isinstance(record.duty, int)
                                  and 0 <= record.duty <= DUTY_MAX):
            raise ValueError("pwm needs a positive frequency and a duty 0..65535")
        if record.name is not None and not isinstance(record.name, str):
            raise ValueError("name must be text")
        return record


UNUSED = PinRecord()


def _name(current: str | None, given: str | None) -> str | None:
    """None keeps the name; an empty string clears it."""
    if given is None:
        return current
    return given or None


def _on_off(level: object) -> OnOff:
    return "on" if level else "off"


class PinBank:
    """Pins 0..27 of one node: modes, devices, locks, reservations, records."""

    def __init__(self, factory: Factory, store: JsonBucket, max_pwm_hz: int = 1_000_000) -> None:
        self.factory = factory
        self.store = store
        self.max_pwm_hz = max_pwm_hz
        self._records: dict[int, PinRecord] = {}
        self._devices: dict[int, Device] = {}
        self._locks = {pin: asyncio.Lock() for pin in PINS}
        self._reserved: dict[int, str] = {}  # pin -> "focuser step"

    # -- reading ---------------------------------------------------------

    def record(self, pin: int) -> PinRecord:
        return self._records.get(pin, UNUSED)

    def level(self, pin: int) -> bool | None:
        """The electrical level of a digital pin, as the hardware reports it."""
        device = self._devices.get(pin)
        if device is None or isinstance(device, PWMOutputDevice):
            return None
        return bool(device.pin.state)

    def info(self, pin: int) -> PinInfo:
        if pin in self._reserved:
            owner = self._reserved[pin].partition(" ")[0]
            try:
                level: bool | None = bool(self.factory.pin(pin).state)
            except Exception:
                level = None
            return PinInfo(mode="digital-output", value=None if level is None else _on_off(level),
                           name=self._reserved[pin], reserved_by=owner)
        rec = self.record(pin)
        if rec.mode == "pwm":
            return PinInfo(mode="pwm", frequency=rec.frequency, duty=rec.duty, name=rec.name)
        if rec.mode == "unused":
            return PinInfo(mode="unused", name=rec.name)
        return PinInfo(mode=rec.mode, value=_on_off(self.level(pin)), name=rec.name)

    def all(self) -> AllReply:
        return AllReply(pins={f"D{pin}": self.info(pin) for pin in PINS})

    def status(self) -> StatusReply:
        digital: dict[str, OnOff] = {}
        pwm: dict[str, PwmState] = {}
        for pin, rec in sorted(self._records.items()):
            if rec.mode in ("digital-input", "digital-output"):
                digital[str(pin)] = _on_off(self.level(pin))
            elif rec.mode == "pwm":
                pwm[str(pin)] = PwmState(frequency=rec.frequency or 0, duty=rec.duty or 0)
        return StatusReply(digital=digital, pwm=pwm)

    # -- operations (each under the pin's lock) ---------------------------

    def _check_free(self, pin: int) -> None:
        if pin in self._reserved:
            raise Conflict(f"pin {pin} is the {self._reserved[pin]} pin; change the focuser's "
                           "pins to use it here", code="pin_reserved")

    async def set_digital(self, pin: int, on: bool, name: str | None = None) -> bool:
        """Make the pin an output at ``on`` (leaving PWM or input first)."""
        async with self._locks[pin]:
            self._check_free(pin)
            old = self.record(pin)
            await self._change(pin, PinRecord("digital-output", value=on,
                                              name=_name(old.name, name)))
            return bool(self.level(pin))

    async def get_digital(self, pin: int) -> bool:
        """Read the pin; an unused pin becomes an input; a PWM pin is a 409."""
        async with self._locks[pin]:
            self._check_free(pin)
            old = self.record(pin)
            if old.mode == "pwm":
                raise Conflict(f"pin {pin} is in PWM mode: set it digital or release it first",
                               code="pin_is_pwm")
            if old.mode == "unused":
                await self._change(pin, PinRecord("digital-input", name=old.name))
            return bool(self.level(pin))

    async def set_pwm(self, pin: int, frequency: int, duty: int,
                      name: str | None = None) -> PinRecord:
        """Make the pin PWM at ``frequency`` Hz and ``duty``/65535 (leaving digital first)."""
        if frequency > self.max_pwm_hz:
            raise BadRequest(f"frequency {frequency} Hz is above what this pin backend can do "
                             f"({self.max_pwm_hz} Hz)", code="frequency_unsupported")
        async with self._locks[pin]:
            self._check_free(pin)
            old = self.record(pin)
            new = PinRecord("pwm", frequency=frequency, duty=duty, name=_name(old.name, name))
            await self._change(pin, new)
            return new

    async def release(self, pin: int) -> PinInfo:
        """Back to unused; the saved record is forgotten."""
        async with self._locks[pin]:
            self._check_free(pin)
            await self._change(pin, UNUSED)
            return self.info(pin)

    async def reserve(self, pins: dict[int, str]) -> None:
        """Hand ``pins`` (pin -> "focuser step") to another driver; 409 if any is in use."""
        order = sorted(pins)
        for pin in order:
            await self._locks[pin].acquire()
        try:
            for pin in order:
                rec = self.record(pin)
                owner = self._reserved.get(pin)
                if rec.mode != "unused":
                    raise Conflict(f"pin {pin} is in use as {rec.mode}"
                                   f"{f' ({rec.name})' if rec.name else ''}; release it first",
                                   code="pin_in_use")
                if owner is not None and owner.split(" ")[0] != pins[pin].split(" ")[0]:
                    raise Conflict(f"pin {pin} is the {owner} pin", code="pin_reserved")
            for pin in order:
                self._reserved[pin] = pins[pin]
        finally:
            for pin in order:
                self._locks[pin].release()

    def unreserve(self, pins: list[int]) -> None:
        for pin in pins:
            self._reserved.pop(pin, None)

    # -- restore and close -------------------------------------------------

    async def restore(self) -> int:
        """Replay every saved pin; returns how many were driven again."""
        restored = 0
        for pin in PINS:
            data = await self.store.get(f"D{pin}")
            if data is None:
                continue
            try:
                rec = PinRecord.from_json(data)
            except ValueError as exc:
                log.warning("pin %d: ignoring saved state %r: %s", pin, data, exc)
                continue
            if pin in self._reserved:
                log.warning("pin %d: saved as %s but now the %s pin; not restored",
                            pin, rec.mode, self._reserved[pin])
                continue
            async with self._locks[pin]:
                try:
                    self._drive(pin, rec)
                except Exception as exc:
                    log.error("pin %d: could not restore %s: %s", pin, rec.mode, exc)
                    self._close_device(pin)
                    continue
                self._records[pin] = rec
                restored += rec.mode != "unused"
        return restored

    def close(self) -> None:
        """Close every device (outputs stop being driven); records stay saved."""
        for pin in list(self._devices):
            self._close_device(pin)

    # -- internals ---------------------------------------------------------

    async def _change(self, pin: int, new: PinRecord) -> None:
        old = self.record(pin)
        try:
            self._drive(pin, new)
        except Exception as exc:
            self._recover(pin, old)
            raise _hardware_error(pin, new, exc) from exc
        try:
            if new.mode == "unused":
                await self.store.delete(f"D{pin}")
            elif new != old or pin not in self._records:
                await self.store.put(f"D{pin}", {"pin": pin, **asdict(new)})
        except ZenithError:
            self._recover(pin, old)
            raise
        if new.mode == "unused":
            self._records.pop(pin, None)
        else:
            self._records[pin] = new
        if new != old:
            PIN_CHANGES.labels(new.mode).inc()

    def _recover(self, pin: int, old: PinRecord) -> None:
        try:
            self._drive(pin, old)
        except Exception:
            log.exception("pin %d: could not return to %s; leaving it unused", pin, old.mode)
            self._close_device(pin)
            self._records.pop(pin, None)

    def _drive(self, pin: int, rec: PinRecord) -> None:
        """Make the hardware match ``rec``, reusing the pin's device when it fits."""
        device = self._devices.get(pin)
        if rec.mode == "unused":
            self._close_device(pin)
        elif rec.mode == "digital-input":
            if not isinstance(device, DigitalInputDevice):
                self._close_device(pin)
                self._devices[pin] = self._input(pin)
        elif rec.mode == "digital-output":
            if isinstance(device, DigitalOutputDevice):
                device.value = bool(rec.value)
            else:
                self._close_device(pin)
                self._devices[pin] = DigitalOutputDevice(
                    pin, initial_value=bool(rec.value), pin_factory=self.factory)
        else:
            value = (rec.duty or 0) / DUTY_MAX
            if isinstance(device, PWMOutputDevice):
                if device.frequency != rec.frequency:
                    device.frequency = rec.frequency
                device.value = value
            else:
                self._close_device(pin)
                self._devices[pin] = PWMOutputDevice(
                    pin, frequency=rec.frequency or 1000, initial_value=value,
                    pin_factory=self.factory)

    def _input(self, pin: int) -> DigitalInputDevice:
        try:
            return DigitalInputDevice(pin, pull_up=None, active_state=True,
                                      pin_factory=self.factory)
        except PinFixedPull:  # GPIO2/3 carry the board's I2C pull-ups
            return DigitalInputDevice(pin, pull_up=True, pin_factory=self.factory)

    def _close_device(self, pin: int) -> None:
        device = self._devices.pop(pin, None)
        if device is not None:
            try:
                device.close()
            except Exception:
                log.exception("pin %d: closing its device failed", pin)


def _hardware_error(pin: int, rec: PinRecord, exc: Exception) -> ZenithError:
    what = rec.mode if rec.mode != "pwm" else f"pwm at {rec.frequency} Hz"
    text = str(exc) or type(exc).__name__
    if isinstance(exc, GPIOPinInUse):
        return Conflict(f"pin {pin} is in use elsewhere: {text}", code="pin_busy")
    if isinstance(exc, ValueError):
        return BadRequest(f"pin {pin}: the pin backend refused {what}: {text}",
                          code="pin_refused")
    return Internal(f"pin {pin}: the pin backend failed to set {what}: {text}",
                    code="pin_failed")


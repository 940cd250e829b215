"""Stepper driver boards, each driving gpiozero DigitalOutputDevices.

A driver is created on a pin factory with its pins and whether the coils
stay powered between moves (``hold``). The motion thread calls, for each
run of steps in one direction: :meth:`StepperDriver.begin`, then
:meth:`StepperDriver.step` once per step, then :meth:`StepperDriver.end`.
Subclasses set ``ROLES`` (one name per pin, in the order the user gives
them) and implement those three methods; :meth:`close` frees the pins.
"""

from __future__ import annotations

import time
from typing import ClassVar

from gpiozero import DigitalOutputDevice, Factory

from zenith.contracts.focuser import DRIVER


class StepperDriver:
    ROLES: ClassVar[tuple[str, ...]] = ()
    name: ClassVar[str] = ""

    def __init__(self, factory: Factory, pins: list[int], hold: bool = False) -> None:
        if len(pins) != len(self.ROLES):
            raise ValueError(f"the {self.name} driver needs {len(self.ROLES)} pins "
                             f"({', '.join(self.ROLES)})")
        self.pins = list(pins)
        self.hold = hold
        self.devices: list[DigitalOutputDevice] = []
        try:
            for pin, role in zip(pins, self.ROLES, strict=True):
                self.devices.append(self._device(factory, pin, role))
        except Exception:
            self.close()
            raise

    def _device(self, factory: Factory, pin: int, role: str) -> DigitalOutputDevice:
        return DigitalOutputDevice(pin, initial_value=False, pin_factory=factory)

    def begin(self, direction: int) -> None:
        """Prepare to step in ``direction`` (+1 or -1, as the motor sees it)."""
        raise NotImplementedError

    def step(self, direction: int) -> None:
        """One step (or half-step) in ``direction``."""
        raise NotImplementedError

    def end(self) -> None:
        """The move is over: power the coils down unless holding."""
        raise NotImplementedError

    def close(self) -> None:
        for device in self.devices:
            try:
                device.close()
            except Exception:  # closing must free every pin it can
                pass
        self.devices = []


class A4988(StepperDriver):
    """Pololu A4988 / DRV8825 style: a pulse on STEP per step, DIR, and /ENABLE.

    ENABLE is active low: the pin is high (driver off) between moves unless
    holding. The driver needs ~1 ms to wake and 200 ns of DIR set-up before
    the first pulse; one STEP pulse is far longer than its 1 us minimum.
    """

    name = "a4988"
    ROLES = DRIVER[name].roles

    def _device(self, factory: Factory, pin: int, role: str) -> DigitalOutputDevice:
        if role == "enable":
            return DigitalOutputDevice(pin, active_high=False, initial_value=self.hold,
                                       pin_factory=factory)
        return DigitalOutputDevice(pin, initial_value=False, pin_factory=factory)

    def begin(self, direction: int) -> None:
        _, dir_, enable = self.devices
        woke = not enable.value
        enable.on()
        dir_.value = direction > 0
        time.sleep(0.001 if woke else 0.0001)

    def step(self, direction: int) -> None:
        step = self.devices[0]
        step.on()
        step.off()

    def end(self) -> None:
        if not self.hold:
            self.devices[2].off()


# 28BYJ-48 half-step sequence on IN1..IN4 (coils A, AB, B, BC, C, CD, D, DA).
HALF_STEPS: tuple[tuple[int, int, int, int], ...] = (
    (1, 0, 0, 0), (1, 1, 0, 0), (0, 1, 0, 0), (0, 1, 1, 0),
    (0, 0, 1, 0), (0, 0, 1, 1), (0, 0, 0, 1), (1, 0, 0, 1),
)


class ULN2003(StepperDriver):
    """ULN2003 darlington board with a 28BYJ-48: four coils, half-stepping.

    One position step is one half-step (4096 a turn of the output shaft).
    The phase is remembered between moves so no step is lost or doubled.
    """

    name = "uln2003"
    ROLES = DRIVER[name].roles

    def __init__(self, factory: Factory, pins: list[int], hold: bool = False) -> None:
        super().__init__(factory, pins, hold)
        self.phase = 0
        if hold:
            self._apply(HALF_STEPS[self.phase])

    def _apply(self, pattern: tuple[int, ...]) -> None:
        for device, level in zip(self.devices, pattern, strict=True):
            if device.value != level:
                device.value = level

    def begin(self, direction: int) -> None:
        self._apply(HALF_STEPS[self.phase])

    def step(self, direction: int) -> None:
        self.phase = (self.phase + (1 if direction > 0 else -1)) % len(HALF_STEPS)
        self._apply(HALF_STEPS[self.phase])

    def end(self) -> None:
        if not self.hold:
            self._apply((0, 0, 0, 0))


DRIVERS: dict[str, type[StepperDriver]] = {cls.name: cls for cls in (A4988, ULN2003)}
assert set(DRIVERS) == set(DRIVER), "every driver of zenith.contracts.focuser is implemented"

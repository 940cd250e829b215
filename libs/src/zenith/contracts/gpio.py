"""GPIO subjects: digital and PWM pins, bus discovery (served by ``gpio``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from zenith.contracts.base import Empty, Endpoint, Message
from zenith.contracts.common import Name, OnOff, Pin

PinMode = Literal["unused", "digital-input", "digital-output", "pwm"]
GPIO = ("gpio", "update")
GPIO_READ = ("gpio", "read")  # pin status only; reading a pin (digital.get) may change it


class DigitalSet(Message):
    pin: Pin
    state: OnOff
    name: Name | None = None


class DigitalSetReply(Message):
    pin: int
    state: OnOff


class DigitalGet(Message):
    pin: Pin


class DigitalGetReply(Message):
    pin: int
    value: OnOff


class PwmSet(Message):
    pin: Pin
    frequency: int = Field(1000, gt=0, le=1_000_000, description="Hz")
    duty: int = Field(..., ge=0, le=65535, description="0..65535 (16-bit, as CircuitPython)")
    name: Name | None = None


class PwmSetReply(Message):
    pin: int
    frequency: int
    duty: int
    duty_percent: float


class PwmState(Message):
    frequency: int
    duty: int


class StatusReply(Message):
    digital: dict[str, OnOff] = Field(description="Digital pins (inputs and outputs) keyed "
                                      "by BCM number as text, e.g. \"18\".")
    pwm: dict[str, PwmState] = Field(description="PWM pins keyed by BCM number as text.")


class PinInfo(Message):
    mode: PinMode
    value: OnOff | None = None
    frequency: int | None = None
    duty: int | None = None
    name: str | None = None
    reserved_by: str | None = Field(
        None, description="Set when another part of the node drives the pin (\"focuser\"); "
        "the GPIO endpoints refuse it with 409.")


class AllReply(Message):
    pins: dict[str, PinInfo] = Field(description="Keyed D0..D27.")


class Release(Message):
    pin: Pin


class OneWireDevice(Message):
    id: str = Field(description="Kernel name, family-serial, e.g. 28-0316a2790dff.")
    family: str = Field(description="Family code, two hex digits, e.g. 28.")
    kind: str = Field(description="What the family is: temperature, switch, ...; "
                      "unknown for families not in the table.")
    temperature_c: float | None = None
    chip: str | None = Field(None, description="Chips of this family, e.g. DS18B20.")
    error: str | None = Field(None, description="Why the temperature could not be read.")


class OneWireReply(Message):
    devices: list[OneWireDevice]


class I2cDevice(Message):
    bus: int
    address: int
    hex: str
    candidates: list[str] = Field(default_factory=list, description="Chips known at it.")
    in_use: bool = Field(False, description="A kernel driver holds the address "
                         "(i2cdetect's UU); the chip was not probed.")


class I2cBus(Message):
    bus: int
    path: str
    error: str | None = Field(None, description="Why the bus could not be scanned.")


class I2cReply(Message):
    devices: list[I2cDevice]
    buses: list[I2cBus] = Field(default_factory=list, description="Buses found and scanned.")


DIGITAL_SET = Endpoint(
    service="gpio", name="digital-set", subject="zenith.node.{camera}.gpio.digital.set",
    request=DigitalSet, reply=DigitalSetReply, permission=GPIO,
    summary="Drive a pin high or low (leaves PWM first).")
DIGITAL_GET = Endpoint(
    service="gpio", name="digital-get", subject="zenith.node.{camera}.gpio.digital.get",
    request=DigitalGet, reply=DigitalGetReply, permission=GPIO,
    summary="Read a pin; an unused pin becomes an input; 409 if it is in PWM mode.")
PWM_SET = Endpoint(
    service="gpio", name="pwm-set", subject="zenith.node.{camera}.gpio.pwm.set",
    request=PwmSet, reply=PwmSetReply, permission=GPIO,
    summary="Set a pin's PWM frequency and duty (leaves digital first).")
STATUS = Endpoint(
    service="gpio", name="status", subject="zenith.node.{camera}.gpio.status",
    request=Empty, reply=StatusReply, permission=GPIO_READ,
    summary="Digital and PWM pins in use.")
ALL = Endpoint(
    service="gpio", name="all", subject="zenith.node.{camera}.gpio.all",
    request=Empty, reply=AllReply, permission=GPIO_READ,
    summary="Every board pin with its mode and state.")
RELEASE = Endpoint(
    service="gpio", name="release", subject="zenith.node.{camera}.gpio.release",
    request=Release, reply=PinInfo, permission=GPIO,
    summary="Return a pin to unused and forget its saved state.")
ONEWIRE_DEVICES = Endpoint(
    service="gpio", name="onewire-devices", subject="zenith.node.{camera}.onewire.devices",
    request=Empty, reply=OneWireReply, permission=("onewire", "read"),
    summary="Devices found on the 1-wire bus (empty where there is none).")
I2C_DEVICES = Endpoint(
    service="gpio", name="i2c-devices", subject="zenith.node.{camera}.i2c.devices",
    request=Empty, reply=I2cReply, permission=("i2c", "read"),
    summary="Addresses answering on the I2C buses (empty where there are none).")

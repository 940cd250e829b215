"""Settings of the gpio service (``ZENITH_GPIO_*``).

Focuser settings here are the defaults for a node whose focuser has never
been configured over the bus; once ``focuser.configure`` saved settings in
the ``zenith-focuser`` bucket, the saved ones win.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from zenith.config import Settings
from zenith.contracts import focuser
from zenith.contracts.common import MAX_PIN

PinFactoryName = Literal["auto", "mock", "lgpio", "pigpio"]
DRIVER_PINS = {d.name: len(d.roles) for d in focuser.DRIVERS}


class GpioSettings(Settings):
    gpio_pin_factory: PinFactoryName = Field(
        "auto", description="Pin backend: auto (lgpio on a Raspberry Pi, mock elsewhere), "
        "mock, lgpio or pigpio.")
    gpio_lgpio_chip: int | None = Field(
        None, ge=0, description="gpiochip number for lgpio; empty: the board's default.")
    gpio_pigpio_host: str = Field("localhost", description="Host running pigpiod.")
    gpio_pigpio_port: int = Field(8888, ge=1, le=65535, description="pigpiod port.")
    gpio_onewire_dir: Path = Field(
        Path("/sys/bus/w1/devices"), description="Where the kernel lists 1-wire devices.")
    gpio_i2c_dev_dir: Path = Field(
        Path("/dev"), description="Where the i2c-N bus device files are.")
    gpio_focuser_driver: focuser.Driver = Field(
        focuser.DEFAULT_DRIVER, description="Stepper driver board: "
        + ", ".join(f"{d.name} ({d.summary})" for d in focuser.DRIVERS))
    gpio_focuser_pins: list[int] = Field(
        default_factory=list, description=f"BCM pins: {focuser.PINS_HELP}; empty: no focuser.")
    gpio_focuser_min_position: focuser.Steps = Field(
        0, description="Lower soft limit, steps.")
    gpio_focuser_max_position: focuser.Steps = Field(
        100_000, description="Upper soft limit, steps.")
    gpio_focuser_backlash: focuser.Backlash = Field(
        0, description="Overshoot, steps, so moves end going outward.")
    gpio_focuser_speed: focuser.Speed = Field(200.0, description="Steps per second.")
    gpio_focuser_reverse: bool = Field(False, description="Swap the motor's direction.")
    gpio_focuser_hold: bool = Field(
        False, description="Keep the coils powered between moves (holds, but warms).")
    gpio_autofocus_range: int = Field(
        200, gt=0, description="Default sweep: current position ± this many steps.")
    gpio_autofocus_step: int = Field(40, gt=0, description="Default sweep spacing, steps.")
    gpio_autofocus_min_stars: int = Field(
        5, ge=1, description="Stars a frame needs to count for HFR scoring; HFR is used "
        "when most frames of a sweep have them, else sharpness.")
    gpio_autofocus_settle_s: float = Field(
        0.2, ge=0, le=30, description="Pause after each move before the frame, s.")
    gpio_autofocus_timeout_s: float = Field(
        60.0, gt=0, description="How long one snapshot may take beyond its exposure, s.")

    @field_validator("gpio_focuser_pins")
    @classmethod
    def _pins(cls, value: list[int], info: ValidationInfo) -> list[int]:
        if not value:
            return value
        bad = [p for p in value if not 0 <= p <= MAX_PIN]
        if bad:
            raise ValueError(f"pins must be BCM 0..{MAX_PIN}, got {bad}")
        if len(set(value)) != len(value):
            raise ValueError("pins must be different from each other")
        driver = info.data.get("gpio_focuser_driver", focuser.DEFAULT_DRIVER)
        if len(value) != DRIVER_PINS[driver]:
            raise ValueError(f"the {driver} driver needs {DRIVER_PINS[driver]} pins")
        return value

    @field_validator("gpio_focuser_max_position")
    @classmethod
    def _limits(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("gpio_focuser_min_position")
        if low is not None and value <= low:
            raise ValueError("must be greater than ZENITH_GPIO_FOCUSER_MIN_POSITION")
        return value

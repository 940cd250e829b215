"""What a site declares: its sensors, heater and fan rules, alert rules.

Each is a list in the settings (``[[sensors.devices]]``, ``[[sensors.heaters]]``,
``[[sensors.fans]]``, ``[[sensors.alerts]]`` in the TOML file, or JSON in
``ZENITH_SENSORS_DEVICES`` ...). The models validate themselves; a bad entry
stops the service with a message naming the setting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zenith.contracts.alerts import AlertKind
from zenith.contracts.common import Pin

DriverName = Literal["bme280", "ds18b20", "tsl2591", "sht3x", "htu21", "dht22", "mlx90614", "pi"]
Slug = str

DEFAULT_ADDRESS = {"bme280": 0x76, "tsl2591": 0x29, "sht3x": 0x44, "htu21": 0x40,
                   "mlx90614": 0x5A}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SensorSpec(_Strict):
    """One sensor: ``driver`` chooses the module in ``zenith_sensors.backends``."""

    name: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    driver: DriverName
    interval_s: float = Field(60.0, ge=0.05, le=86400)
    bus: int = Field(1, ge=0, le=64, description="I2C bus number (/dev/i2c-N).")
    address: int | None = Field(None, ge=0x03, le=0x77, description="I2C address; "
                                "empty: the chip's default.")
    device: str | None = Field(None, pattern=r"^[A-Za-z0-9:._-]{1,64}$",
                               description="1-wire id (28-...) or IIO device (iio:device0); "
                               "empty: the first found.")
    simulate: bool | None = Field(None, description="Override the service's backend choice.")
    options: dict[str, float] = Field(default_factory=dict, description="Driver options, "
                                      "e.g. tsl2591 sqm_const, mlx90614 k1..k7.")

    @property
    def i2c_address(self) -> int:
        return self.address if self.address is not None else DEFAULT_ADDRESS.get(self.driver, 0)


class HeaterRule(_Strict):
    """Dew heater: on as the dome's temperature nears its dew point.

    ``onoff``: on when spread (temperature - dew point) <= ``on_spread_c``,
    off again at >= ``off_spread_c`` (hysteresis). ``pwm``: duty 0 % at
    ``on_spread_c``, rising linearly to 100 % at ``full_spread_c``."""

    name: str = Field("heater", pattern=r"^[a-z0-9_-]{1,32}$")
    pin: Pin
    mode: Literal["pwm", "onoff"] = "onoff"
    sensor: str = Field(description="Sensor giving temp and dewpoint (or hum) at the dome.")
    outside_sensor: str | None = Field(None, description="Logged as t_out.")
    on_spread_c: float = Field(3.0, ge=0, le=30)
    off_spread_c: float = Field(5.0, ge=0, le=40)
    full_spread_c: float = Field(0.5, ge=-5, le=30)
    max_temp_c: float | None = Field(None, description="Never heat above this temperature.")
    frequency_hz: int = Field(100, gt=0, le=100_000)
    invert: bool = Field(False, description="The relay switches on at a low level.")
    stale_s: float = Field(600, gt=0, description="A reading older than this counts as none: "
                           "the heater goes off.")

    @model_validator(mode="after")
    def _bounds(self) -> HeaterRule:
        if self.off_spread_c <= self.on_spread_c:
            raise ValueError("off_spread_c must be above on_spread_c (hysteresis)")
        if self.mode == "pwm" and self.full_spread_c >= self.on_spread_c:
            raise ValueError("full_spread_c must be below on_spread_c")
        return self

    def describe(self) -> str:
        if self.mode == "pwm":
            return (f"PWM from 0 % at {self.on_spread_c:g} °C to 100 % at "
                    f"{self.full_spread_c:g} °C above the dew point ({self.sensor})")
        return (f"on at {self.on_spread_c:g} °C above the dew point, off at "
                f"{self.off_spread_c:g} °C ({self.sensor})")


class FanRule(_Strict):
    """Fan: on above ``on_above_c``, off below ``off_below_c``."""

    name: str = Field("fan", pattern=r"^[a-z0-9_-]{1,32}$")
    pin: Pin
    sensor: str
    field: str = Field("temp", pattern=r"^[A-Za-z0-9_]{1,64}$")
    on_above_c: float
    off_below_c: float
    invert: bool = False
    stale_s: float = Field(600, gt=0)

    @model_validator(mode="after")
    def _bounds(self) -> FanRule:
        if self.off_below_c >= self.on_above_c:
            raise ValueError("off_below_c must be below on_above_c (hysteresis)")
        return self

    def describe(self) -> str:
        return (f"on above {self.on_above_c:g} °C, off below {self.off_below_c:g} °C "
                f"({self.sensor} {self.field})")


class AlertRule(_Strict):
    """A condition that raises an alert once, and announces its end.

    - ``dew_risk``: a sensor's temp - dewpoint under ``bound`` °C;
    - ``humidity_high``: a sensor's ``hum`` over ``bound`` %;
    - ``disk_full``: ``raspiDiskPercent`` over ``bound`` %;
    - ``camera_offline``: no frame for ``for_s`` seconds;
    - ``sky_clear``: ``sky`` cloud cover under ``bound`` (0..1) for ``for_s``;
    - ``sensor_failed``: a sensor failed ``bound`` reads in a row (default 3).
    """

    name: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    kind: AlertKind
    sensor: str | None = Field(None, description="Only this sensor (default: any that fits).")
    bound: float | None = None
    for_s: float = Field(0, ge=0, le=7 * 86400, description="How long the condition holds "
                         "before the alert starts.")

    @model_validator(mode="after")
    def _needs_bound(self) -> AlertRule:
        if self.bound is None and self.kind not in ("camera_offline", "sensor_failed"):
            raise ValueError(f"{self.kind} needs a bound")
        if self.kind == "camera_offline" and self.for_s <= 0:
            raise ValueError("camera_offline needs for_s (seconds without a frame)")
        return self

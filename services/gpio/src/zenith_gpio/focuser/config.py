"""The focuser's settings: defaults from ``ZENITH_GPIO_FOCUSER_*``, then saved ones."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from zenith.contracts import focuser
from zenith.contracts.common import MAX_PIN
from zenith.contracts.focuser import Configure
from zenith.errors import BadRequest
from zenith_gpio.focuser.drivers import DRIVERS
from zenith_gpio.settings import GpioSettings


@dataclass(frozen=True)
class FocuserConfig:
    driver: str = focuser.DEFAULT_DRIVER
    pins: tuple[int, ...] = ()
    min_position: int = 0
    max_position: int = 100_000
    backlash: int = 0
    speed: float = 200.0
    reverse: bool = False
    hold: bool = False

    @classmethod
    def from_settings(cls, settings: GpioSettings) -> FocuserConfig:
        return cls(driver=settings.gpio_focuser_driver, pins=tuple(settings.gpio_focuser_pins),
                   min_position=settings.gpio_focuser_min_position,
                   max_position=settings.gpio_focuser_max_position,
                   backlash=settings.gpio_focuser_backlash, speed=settings.gpio_focuser_speed,
                   reverse=settings.gpio_focuser_reverse, hold=settings.gpio_focuser_hold)

    @classmethod
    def from_json(cls, data: dict[str, Any], default: FocuserConfig) -> FocuserConfig:
        """Saved settings over ``default``; ValueError when they do not hold together."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "pins" in values:
            values["pins"] = tuple(values["pins"])
        config = replace(default, **values)
        config.check()
        return config

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["pins"] = list(self.pins)
        return data

    def merged(self, change: Configure) -> FocuserConfig:
        """This config with the given fields changed; BadRequest when invalid."""
        values = change.model_dump(exclude_none=True)
        if "pins" in values:
            values["pins"] = tuple(values["pins"])
        config = replace(self, **values)
        if "driver" in values and "pins" not in values and config.pins \
                and len(config.pins) != len(DRIVERS[config.driver].ROLES):
            roles = ", ".join(DRIVERS[config.driver].ROLES)
            raise BadRequest(f"the {config.driver} driver needs its own pins ({roles}): "
                             "give pins with the driver", code="invalid_focuser")
        try:
            config.check()
        except ValueError as exc:
            raise BadRequest(str(exc), code="invalid_focuser") from None
        return config

    def check(self) -> None:
        if self.driver not in DRIVERS:
            raise ValueError(f"unknown driver {self.driver!r}")
        roles = DRIVERS[self.driver].ROLES
        if self.pins and len(self.pins) != len(roles):
            raise ValueError(f"the {self.driver} driver needs {len(roles)} pins "
                             f"({', '.join(roles)}), got {len(self.pins)}")
        if any(not isinstance(p, int) or not 0 <= p <= MAX_PIN for p in self.pins):
            raise ValueError(f"pins must be BCM numbers 0..{MAX_PIN}")
        if len(set(self.pins)) != len(self.pins):
            raise ValueError("the focuser's pins must be different from each other")
        if self.min_position >= self.max_position:
            raise ValueError(f"min_position ({self.min_position}) must be below "
                             f"max_position ({self.max_position})")
        if not 0 < self.speed <= focuser.MAX_SPEED:
            raise ValueError(f"speed must be above 0 and at most {focuser.MAX_SPEED:g} steps/s")
        if not 0 <= self.backlash <= focuser.MAX_BACKLASH:
            raise ValueError(f"backlash must be 0..{focuser.MAX_BACKLASH} steps")

    def pin_roles(self) -> dict[int, str]:
        """pin -> "focuser step" (what /gpio/all shows for the pin)."""
        if not self.pins:
            return {}
        roles = DRIVERS[self.driver].ROLES
        return {pin: f"focuser {role}" for pin, role in zip(self.pins, roles, strict=True)}

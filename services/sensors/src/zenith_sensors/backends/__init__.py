"""Sensor backends, one module per driver, chosen by name.

:func:`open_sensor` returns a :class:`Sensor`: the hardware driver, or the
module's simulation of the same fields on a :class:`~.night.Night`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import get_args

from zenith_sensors.backends.base import Driver, Environment
from zenith_sensors.backends.night import Night
from zenith_sensors.config import DriverName, SensorSpec

DRIVERS: tuple[str, ...] = get_args(DriverName)


def backend_module(driver: str) -> ModuleType:
    if driver not in DRIVERS:
        raise ValueError(f"unknown sensor driver {driver!r} (known: {', '.join(DRIVERS)})")
    return importlib.import_module(f"zenith_sensors.backends.{driver}")


@dataclass
class Sensor:
    spec: SensorSpec
    measurement: str
    simulated: bool
    read: Callable[[], dict[str, float]]
    close: Callable[[], None]


def open_sensor(spec: SensorSpec, *, simulated: bool, env: Environment, night: Night) -> Sensor:
    module = backend_module(spec.driver)
    if simulated:
        def read() -> dict[str, float]:
            fields: dict[str, float] = module.simulate(night, spec)
            return fields

        return Sensor(spec, module.MEASUREMENT, True, read, lambda: None)
    driver: Driver = module.Hardware(spec, env)
    return Sensor(spec, module.MEASUREMENT, False, driver.read, driver.close)

"""What every sensor backend is.

A backend module under ``zenith_sensors.backends`` is chosen by the
sensor's ``driver`` name. It must define ``MEASUREMENT`` (the SeriesStore
measurement, as the AllSkyKamera client names it), a ``Hardware`` class (a
:class:`Driver` reading the real chip) and ``simulate(night, spec)`` (the
fields of the same shape for a simulated night). Only the module imports
its hardware library, inside ``Hardware``.

A :class:`Driver` subclass must implement :meth:`read` (blocking: the
service runs it in a thread) and may override :meth:`close`. It raises
:class:`~zenith_sensors.errors.ReadError` when the chip does not answer
or answers nonsense; the service then reports the sensor failed and tries
again with a growing pause.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zenith_sensors.backends.i2c import I2cBus, Smbus2Bus
from zenith_sensors.config import SensorSpec


@dataclass(frozen=True)
class Environment:
    """Where hardware backends find their buses (paths are settings; tests use tmp dirs)."""

    onewire_dir: Path = Path("/sys/bus/w1/devices")
    iio_dir: Path = Path("/sys/bus/iio/devices")
    thermal_zone: Path = Path("/sys/class/thermal/thermal_zone0/temp")
    disk_path: Path = Path("/")
    open_i2c: Callable[[int], I2cBus] = Smbus2Bus


class Driver(abc.ABC):
    def __init__(self, spec: SensorSpec, env: Environment) -> None:
        self.spec = spec
        self.env = env

    @abc.abstractmethod
    def read(self) -> dict[str, float]:
        """One measurement: field name -> value."""

    def close(self) -> None:
        """Release the bus."""
        return None


class I2cDriver(Driver):
    """A driver on an I2C bus, opened lazily (again after a failure)."""

    def __init__(self, spec: SensorSpec, env: Environment) -> None:
        super().__init__(spec, env)
        self.address = spec.i2c_address
        self._bus: I2cBus | None = None

    @property
    def bus(self) -> I2cBus:
        if self._bus is None:
            self._bus = self.env.open_i2c(self.spec.bus)
        return self._bus

    def close(self) -> None:
        if self._bus is not None:
            self._bus.close()
            self._bus = None

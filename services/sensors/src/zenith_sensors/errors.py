"""The sensors service's errors (one root; each also a built-in)."""

from __future__ import annotations


class SensorError(Exception):
    """Root of the sensors service's errors."""


class ReadError(SensorError, OSError):
    """A sensor did not answer, or answered nonsense (bad CRC, bad chip id)."""


class BackendUnavailable(SensorError, ImportError):
    """The backend a sensor needs cannot run here (no bus, no sysfs)."""

"""Camera drivers, one module each; chosen by name (``capture_driver``).

Only a driver's own module imports its hardware library, and only when
that driver is chosen. Built in: ``simulator``, ``folder``, ``opencv``,
``rpicam``, ``indi``. Other packages add drivers through the entry point group
``zenith_capture.drivers`` (name = "module:Class"), and code (tests) with
:func:`register_driver`.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from zenith.errors import ConfigError
from zenith_capture.backends.base import (
    CameraDriver,
    DriverContext,
    DriverError,
    FrameRejected,
    RawFrame,
)

BUILTIN = {
    "simulator": "zenith_capture.backends.simulator:SimulatorDriver",
    "folder": "zenith_capture.backends.folder:FolderDriver",
    "opencv": "zenith_capture.backends.opencv:OpenCVDriver",
    "rpicam": "zenith_capture.backends.rpicam:RpicamDriver",
    "indi": "zenith_capture.backends.indi:IndiDriver",
}
ENTRY_POINT_GROUP = "zenith_capture.drivers"
_registered: dict[str, type[CameraDriver]] = {}


def register_driver(name: str, cls: type[CameraDriver]) -> None:
    _registered[name] = cls


def unregister_driver(name: str) -> None:
    _registered.pop(name, None)


def driver_names() -> list[str]:
    names = set(BUILTIN) | set(_registered)
    names |= {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)


def driver_class(name: str) -> type[CameraDriver]:
    """The driver class called ``name``; ConfigError naming the setting if unknown."""
    if name in _registered:
        return _registered[name]
    target = BUILTIN.get(name)
    if target is None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == name:
                target = ep.value
                break
    if target is None:
        raise ConfigError(f"ZENITH_CAPTURE_DRIVER: unknown driver {name!r} "
                          f"(known: {', '.join(driver_names())})")
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, CameraDriver)):
        raise ConfigError(f"ZENITH_CAPTURE_DRIVER: {target} is not a camera driver")
    return cls


__all__ = ["CameraDriver", "DriverContext", "DriverError", "FrameRejected", "RawFrame",
           "driver_class", "driver_names", "register_driver", "unregister_driver"]

"""Pin factories, chosen by name (``ZENITH_GPIO_PIN_FACTORY``).

Each backend is one module here exposing ``create(settings) -> Factory``;
only that module imports its hardware library, so a node without pigpio
installed can still run lgpio, and tests never touch hardware. ``auto``
picks lgpio on a Raspberry Pi and refuses to fall back to the mock there
(a heater that silently drives nothing is worse than a service that does
not start); elsewhere it uses the mock and says so in the log.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path

from gpiozero import Factory

from zenith.errors import ConfigError
from zenith_gpio.settings import GpioSettings

log = logging.getLogger("zenith.gpio")

SETTING = "ZENITH_GPIO_PIN_FACTORY"
BACKENDS = ("mock", "lgpio", "pigpio")
MODEL_FILES = (Path("/proc/device-tree/model"), Path("/sys/firmware/devicetree/base/model"))


@dataclass(frozen=True)
class Backend:
    """A loaded pin factory and what it can do."""

    name: str
    factory: Factory
    max_pwm_hz: int = 1_000_000


def board_model(model_files: tuple[Path, ...] = MODEL_FILES) -> str | None:
    """The device-tree model string (``Raspberry Pi 4 Model B Rev 1.4``), if any."""
    for path in model_files:
        try:
            text = path.read_bytes().decode("utf-8", "replace").strip("\x00 \n")
        except OSError:
            continue
        if text:
            return text
    return None


def is_raspberry_pi(model_files: tuple[Path, ...] = MODEL_FILES) -> bool:
    model = board_model(model_files)
    return model is not None and "Raspberry Pi" in model


def create_backend(name: str, settings: GpioSettings) -> Backend:
    """Import ``zenith_gpio.backends.<name>`` and build its factory."""
    if name not in BACKENDS:
        raise ConfigError(f"{SETTING}: unknown pin factory {name!r} "
                          f"(choose auto, {', '.join(BACKENDS)})")
    module = importlib.import_module(f"{__name__}.{name}")
    return Backend(name, module.create(settings), module.MAX_PWM_HZ)


def load_pin_factory(settings: GpioSettings,
                     model_files: tuple[Path, ...] = MODEL_FILES) -> Backend:
    """The factory ``settings.gpio_pin_factory`` names; ConfigError if it cannot load."""
    name = settings.gpio_pin_factory
    if name == "auto":
        model = board_model(model_files)
        if model is not None and "Raspberry Pi" in model:
            try:
                return create_backend("lgpio", settings)
            except Exception as exc:
                raise ConfigError(
                    f"{SETTING}=auto: this is a {model} but the lgpio pin factory failed: "
                    f"{exc or type(exc).__name__}. Give the service access to /dev/gpiochip*, "
                    f"or set {SETTING}=pigpio (with pigpiod running) or {SETTING}=mock."
                ) from exc
        log.warning("no Raspberry Pi found (device-tree model: %s): using the mock pin "
                    "factory, pins drive nothing; set %s to choose a backend",
                    model or "none", SETTING)
        return create_backend("mock", settings)
    try:
        return create_backend(name, settings)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"{SETTING}={name}: the {name} pin factory failed to load: "
                          f"{exc or type(exc).__name__}") from exc

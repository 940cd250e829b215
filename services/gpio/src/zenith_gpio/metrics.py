"""Prometheus metrics of the gpio service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

PIN_CHANGES = Counter("zenith_gpio_pin_changes_total", "Pin changes, by the mode set.", ["mode"])
FOCUSER_POSITION = Gauge("zenith_gpio_focuser_position", "Focuser position, steps.")
FOCUSER_STEPS = Counter("zenith_gpio_focuser_steps_total", "Steps the focuser motor made.")
AUTOFOCUS_RUNS = Counter("zenith_gpio_autofocus_runs_total", "Autofocus runs, by outcome.",
                         ["outcome"])

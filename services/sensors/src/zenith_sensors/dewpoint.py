"""Dew point and relative humidity (Magnus formula, Sonntag 1990 constants)."""

from __future__ import annotations

import math

A = 17.62
B = 243.12  # °C; valid for -45..60 °C over water


def dew_point(temp_c: float, rh: float) -> float:
    """Dew point in °C of air at ``temp_c`` with ``rh`` % relative humidity."""
    rh = min(max(rh, 0.01), 100.0)
    gamma = A * temp_c / (B + temp_c) + math.log(rh / 100.0)
    return B * gamma / (A - gamma)


def relative_humidity(temp_c: float, dew_c: float) -> float:
    """Relative humidity in % of air at ``temp_c`` whose dew point is ``dew_c``."""
    return 100.0 * math.exp(A * dew_c / (B + dew_c) - A * temp_c / (B + temp_c))

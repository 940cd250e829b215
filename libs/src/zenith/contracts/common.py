"""Field types shared by several contracts."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

from zenith.timefmt import to_iso

MAX_PIN = 27  # BCM GPIO0..GPIO27 on the 40-pin header

# "18", "D18", "GPIO18", "BCM18" (any case, a leading zero allowed), 0..27.
PIN_PATTERN = r"^(?:[Dd]|[Gg][Pp][Ii][Oo]|[Bb][Cc][Mm])?(?:0?[0-9]|1[0-9]|2[0-7])$"
_PIN_RE = re.compile(PIN_PATTERN)


def _pin(value: object) -> object:
    """Accept 18, "18", "D18", "GPIO18"; refuse bools, floats and anything else."""
    if isinstance(value, bool):
        raise ValueError("pin must be a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if _PIN_RE.fullmatch(value):
            return int(value.lstrip("DdGgPpIiOoBbCcMm"))
        raise ValueError(f"pin must be 0..{MAX_PIN}, as 18, D18, GPIO18 or BCM18")
    raise ValueError("pin must be a number such as 18 or D18")


def _pin_range(value: int) -> int:
    if not 0 <= value <= MAX_PIN:
        raise ValueError(f"pin must be between 0 and {MAX_PIN}")
    return value


Pin = Annotated[int, BeforeValidator(_pin), AfterValidator(_pin_range), WithJsonSchema({
    "anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_PIN},
              {"type": "string", "pattern": PIN_PATTERN}],
    "description": f"BCM pin 0..{MAX_PIN}: 18, \"18\", \"D18\", \"GPIO18\" or \"BCM18\"."})]
OnOff = Literal["on", "off"]
Name = Annotated[str, Field(max_length=64, pattern=r"^[^\x00-\x1f<>]*$")]
NightDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$",
                                 description="Date the night began (local), YYYY-MM-DD.")]


StoredTime = Annotated[datetime, PlainSerializer(to_iso, return_type=str, when_used="json")]
"""A time that is stored: serialised in the one shape stores sort as text
(``2026-11-21T08:00:00.000000Z``, see :mod:`zenith.timefmt`)."""

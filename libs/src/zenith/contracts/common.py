"""Field types shared by several contracts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

from zenith.timefmt import to_iso

MAX_PIN = 27  # BCM GPIO0..GPIO27 on the 40-pin header

_PIN_RE = re.compile(r"^(?:D|GPIO|BCM)?(\d{1,2})$", re.IGNORECASE)


def _pin(value: object) -> object:
    """Accept 18, "18", "D18", "GPIO18"; refuse bools, floats and anything else."""
    if isinstance(value, bool):
        raise ValueError("pin must be a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = _PIN_RE.fullmatch(value.strip())
        if match:
            return int(match.group(1))
    raise ValueError("pin must be a number such as 18 or D18")


def _pin_range(value: int) -> int:
    if not 0 <= value <= MAX_PIN:
        raise ValueError(f"pin must be between 0 and {MAX_PIN}")
    return value


Pin = Annotated[int, BeforeValidator(_pin), AfterValidator(_pin_range)]
OnOff = Literal["on", "off"]
Name = Annotated[str, Field(max_length=64, pattern=r"^[^\x00-\x1f<>]*$")]
NightDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$",
                                 description="Date the night began (local), YYYY-MM-DD.")]


def utcnow() -> datetime:
    return datetime.now(UTC)


StoredTime = Annotated[datetime, PlainSerializer(to_iso, return_type=str, when_used="json")]
"""A time that is stored: serialised in the one shape stores sort as text
(``2026-11-21T08:00:00.000000Z``, see :mod:`zenith.timefmt`)."""

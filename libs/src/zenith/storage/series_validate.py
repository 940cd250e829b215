"""Checks shared by every SeriesStore backend, and time conversions.

Names (measurements, tag keys and values, field keys) may hold spaces,
commas, quotes and any printable character; control characters, names
starting with ``_`` (reserved by InfluxDB 2/3), the key ``time``,
backslashes and a measurement starting with ``#`` (line protocol does not
carry them reliably) are refused, as are naive datetimes and non-finite or non-numeric values.
Field values are stored as floats, so a field never changes type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from zenith.errors import BadRequest
from zenith.storage.series import Point

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_NS = -(2**63) + 2  # InfluxDB's representable range
MAX_NS = 2**63 - 2
MAX_NAME = 256
MIN_EVERY_NS = 1_000_000  # 1 ms


@dataclass(frozen=True)
class CheckedPoint:
    measurement: str
    tags: tuple[tuple[str, str], ...]  # sorted by key
    time_ns: int
    fields: dict[str, float]


def name(value: object, what: str, *, key: bool = False) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_NAME:
        raise BadRequest(f"invalid {what} {value!r}: a non-empty string of at most "
                         f"{MAX_NAME} characters", code="invalid_series")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise BadRequest(f"invalid {what} {value!r}: control characters are not allowed",
                         code="invalid_series")
    if "\\" in value:
        raise BadRequest(f"invalid {what} {value!r}: backslashes are not allowed",
                         code="invalid_series")
    if key and (value.startswith("_") or value == "time"):
        raise BadRequest(f"invalid {what} {value!r}: 'time' and names starting with '_' "
                         "are reserved", code="invalid_series")
    return value


def to_ns(dt: object, what: str = "time") -> int:
    if not isinstance(dt, datetime) or dt.tzinfo is None or dt.utcoffset() is None:
        raise BadRequest(f"{what} must be a timezone-aware datetime, not {dt!r}",
                         code="invalid_time")
    ns = (dt - EPOCH) // timedelta(microseconds=1) * 1000
    if not MIN_NS <= ns <= MAX_NS:
        raise BadRequest(f"{what} {dt.isoformat()} is outside the storable range",
                         code="invalid_time")
    return ns


def clamp_ns(dt: object, what: str) -> int:
    """Like :func:`to_ns`, but a bound beyond the storable range is clamped."""
    if isinstance(dt, datetime) and dt.tzinfo is not None and dt.utcoffset() is not None:
        ns = (dt - EPOCH) // timedelta(microseconds=1) * 1000
        return min(max(ns, MIN_NS), MAX_NS)
    return to_ns(dt, what)


def from_ns(ns: int) -> datetime:
    return EPOCH + timedelta(microseconds=ns // 1000)


def tags(value: object, what: str = "tags") -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise BadRequest(f"{what} must map tag names to strings", code="invalid_series")
    return tuple(sorted((name(k, "tag key", key=True), name(v, f"tag value of {k!r}"))
                        for k, v in value.items()))


def number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"{what} must be a number, not {value!r}", code="invalid_series")
    out = float(value)
    if not math.isfinite(out):
        raise BadRequest(f"{what} must be finite, not {value!r}", code="invalid_series")
    return out


def point(p: object) -> CheckedPoint:
    if not isinstance(p, Point):
        raise BadRequest(f"expected a Point, not {type(p).__name__}", code="invalid_series")
    measurement = name(p.measurement, "measurement")
    if measurement.startswith("#"):
        raise BadRequest(f"invalid measurement {measurement!r}: it cannot start with '#'",
                         code="invalid_series")
    if not isinstance(p.fields, Mapping) or not p.fields:
        raise BadRequest(f"point of {measurement!r} needs at least one field",
                         code="invalid_series")
    fields = {name(k, "field key", key=True): number(v, f"field {k!r}")
              for k, v in p.fields.items()}
    return CheckedPoint(measurement, tags(p.tags), to_ns(p.time), fields)


def points(values: object) -> list[CheckedPoint]:
    if isinstance(values, (str, bytes, Point)) or not isinstance(values, Sequence):
        raise BadRequest("write takes a list of Points", code="invalid_series")
    return [point(p) for p in values]


def field_names(values: object) -> list[str]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise BadRequest("query names a non-empty list of fields", code="invalid_series")
    out = [name(f, "field key", key=True) for f in values]
    if len(set(out)) != len(out):
        raise BadRequest(f"fields repeat: {out}", code="invalid_series")
    return out


def every_ns(every_s: object) -> int | None:
    if every_s is None:
        return None
    seconds = number(every_s, "every_s")
    ns = round(seconds * 1e9)
    if ns < MIN_EVERY_NS:
        raise BadRequest(f"every_s must be at least {MIN_EVERY_NS / 1e9} s, not {every_s!r}",
                         code="invalid_series")
    return ns


AGGREGATES = ("mean", "min", "max", "last")


def aggregate(value: object) -> str:
    if value not in AGGREGATES:
        raise BadRequest(f"aggregate must be one of {', '.join(AGGREGATES)}, not {value!r}",
                         code="invalid_series")
    return str(value)


@dataclass(frozen=True)
class Query:
    """A checked :meth:`SeriesStore.query` call, as every backend needs it."""

    measurement: str
    names: list[str]
    start_ns: int
    end_ns: int
    tag_pairs: tuple[tuple[str, str], ...]
    every: int | None
    how: str

    @property
    def empty(self) -> bool:
        return self.start_ns >= self.end_ns


def query(measurement: object, fields: object, start: object, end: object, tags_: object,
          every_s: object, how: object) -> Query:
    return Query(name(measurement, "measurement"), field_names(fields),
                 clamp_ns(start, "start"), clamp_ns(end, "end"), tags(tags_),
                 every_ns(every_s), aggregate(how))

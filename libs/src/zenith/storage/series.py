"""SeriesStore: time series of numeric fields.

Follows the InfluxDB habit: a ``measurement`` per sensor kind (``bme280``,
``ds18b20``, ``sky``...), the tag ``camera`` on every point, more tags as
needed, and numeric ``fields``. Times are timezone-aware UTC datetimes.

A backend subclass implements :meth:`write`, :meth:`query`, :meth:`latest`,
:meth:`measurements` and :meth:`usage`; it may override :meth:`close`. The
contract suite in ``tests/libs/storage`` runs against each backend.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Aggregate = Literal["mean", "min", "max", "last"]


@dataclass(frozen=True)
class Point:
    measurement: str
    time: datetime
    fields: Mapping[str, float]
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One row of a query: a time and the fields asked for (None if absent)."""

    time: datetime
    values: Mapping[str, float | None]


@dataclass(frozen=True)
class Latest:
    """The newest value of one field of one series (a measurement and tag set)."""

    tags: Mapping[str, str]
    field: str
    time: datetime
    value: float


@dataclass(frozen=True)
class Usage:
    """How much one measurement of a tag set (a camera) holds."""

    points: int
    bytes: int


class SeriesStore(abc.ABC):
    @abc.abstractmethod
    async def write(self, points: Sequence[Point]) -> None:
        """Store points. Writing the same measurement, tags and time again
        overwrites the fields (idempotent, as in InfluxDB)."""

    @abc.abstractmethod
    async def query(self, measurement: str, fields: Sequence[str], *,
                    start: datetime, end: datetime,
                    tags: Mapping[str, str] | None = None,
                    every_s: float | None = None,
                    aggregate: Aggregate = "mean") -> list[Row]:
        """Points in ``[start, end)`` whose tags match, oldest first.

        With ``every_s``, one row per window of that many seconds (aligned to
        the epoch) holding ``aggregate`` of each field; windows with no point
        are left out."""

    @abc.abstractmethod
    async def latest(self, measurement: str, *,
                     tags: Mapping[str, str] | None = None) -> list[Latest]:
        """The newest value of every field of every series of ``measurement``
        whose tags match (a field's own newest point: fields written at
        different times each come with their time), sorted by tags, field."""

    @abc.abstractmethod
    async def measurements(self, tags: Mapping[str, str] | None = None) -> list[str]:
        """Names of measurements that hold points (with these tags)."""

    @abc.abstractmethod
    async def usage(self, measurement: str, *,
                    tags: Mapping[str, str] | None = None) -> Usage:
        """The number of points of ``measurement`` whose tags match, and their size
        in bytes (measured or estimated, as the backend can), without reading them
        all: fast for a year of points."""

    async def close(self) -> None:
        """Release connections."""
        return None

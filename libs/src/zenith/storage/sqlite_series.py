"""SeriesStore on SQLite: the embedded default.

One table ``points(measurement, tags, time_ns, fields)`` keyed by
(measurement, tags, time): ``tags`` is the canonical JSON of the sorted
tag set, ``fields`` a JSON object. Writing a key again merges the fields,
new values winning, as InfluxDB does. Aggregation windows are aligned to
the epoch and empty windows are left out, as InfluxQL's ``GROUP BY
time(...) fill(none)``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from zenith.storage import series_validate as check
from zenith.storage.series import Aggregate, Latest, Row, SeriesStore, Usage
from zenith.storage.sqlite_worker import SqliteWorker, write_transaction

_CAMERA = "json_extract(tags, '$.camera')"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS points (measurement TEXT NOT NULL, tags TEXT NOT NULL, "
    "time_ns INTEGER NOT NULL, fields TEXT NOT NULL, "
    "PRIMARY KEY (measurement, tags, time_ns)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS points_by_time ON points (measurement, time_ns)",
    # a camera's points of a measurement, in time order, without reading the others'
    # (a hub's chart of one camera among hundreds; usage)
    f"CREATE INDEX IF NOT EXISTS points_by_camera_time ON points (measurement, {_CAMERA}, "
    "time_ns)",
    "DROP INDEX IF EXISTS points_by_camera",  # the one above, without time_ns
)
USAGE_SAMPLE = 1000  # rows whose stored size is measured; the rest are estimated from them
_PLAIN_FIELD = re.compile(r"[A-Za-z0-9_-]+")
_SQL_AGGREGATES = {"mean": "AVG", "min": "MIN", "max": "MAX"}


def _tags_json(tags: Sequence[tuple[str, str]]) -> str:
    return json.dumps(dict(tags), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _tag_filter(tag_pairs: Sequence[tuple[str, str]]) -> tuple[str, list[str]]:
    """The WHERE conditions (and their parameters) of a tag set: the camera tag by
    the indexed expression, the others by the tags' JSON."""
    camera = dict(tag_pairs).get("camera")
    rest = [pair for pair in tag_pairs if pair[0] != "camera"]
    cond = f" AND {_CAMERA} = ?" if camera is not None else ""
    cond += "".join(" AND EXISTS (SELECT 1 FROM json_each(p.tags) WHERE key = ? AND "
                    "value = ?)" for _ in rest)
    return cond, [*([camera] if camera is not None else []), *(x for pair in rest for x in pair)]


def _field_value(name: str) -> tuple[str, str]:
    """The SQL (and its parameter) of a field's value in a point: json_extract for a
    plain name (a path lookup), the fields' JSON walked for any other."""
    if _PLAIN_FIELD.fullmatch(name):
        return "json_extract(p.fields, ?)", f'$."{name}"'
    return "(SELECT value FROM json_each(p.fields) WHERE key = ?)", name


def _fields_json(fields: Mapping[str, float]) -> str:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class SqliteSeriesStore(SeriesStore):
    """Use :meth:`open`; the constructor does no I/O."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._worker = SqliteWorker(path, "zenith-series")

    @classmethod
    async def open(cls, path: str | Path) -> SqliteSeriesStore:
        store = cls(path)
        await store._worker.start()
        try:
            await store._worker.run(store._create)
        except BaseException:
            await store.close()
            raise
        return store

    @staticmethod
    def _create(conn: sqlite3.Connection) -> None:
        with write_transaction(conn):
            for statement in _SCHEMA:
                conn.execute(statement)

    async def close(self) -> None:
        await self._worker.close()

    async def write(self, points: Sequence[Any]) -> None:
        checked = check.points(points)
        if not checked:
            return
        rows = [(p.measurement, _tags_json(p.tags), p.time_ns, _fields_json(p.fields))
                for p in checked]

        def run(conn: sqlite3.Connection) -> None:
            with write_transaction(conn):
                conn.executemany(
                    "INSERT INTO points (measurement, tags, time_ns, fields) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (measurement, tags, time_ns) DO UPDATE "
                    "SET fields = json_patch(fields, excluded.fields)", rows)

        await self._worker.run(run)

    async def query(self, measurement: str, fields: Sequence[str], *,
                    start: datetime, end: datetime,
                    tags: Mapping[str, str] | None = None,
                    every_s: float | None = None,
                    aggregate: Aggregate = "mean") -> list[Row]:
        q = check.query(measurement, fields, start, end, tags, every_s, aggregate)
        if q.empty:
            return []
        names, start_ns, end_ns, tag_pairs, every, how = (
            q.names, q.start_ns, q.end_ns, q.tag_pairs, q.every, q.how)
        picks = [_field_value(name) for name in names]
        values = ", ".join(f"{sql} AS v{i}" for i, (sql, _arg) in enumerate(picks))
        cond, tag_params = _tag_filter(tag_pairs)
        params: list[Any] = [*(arg for _sql, arg in picks), measurement, start_ns, end_ns,
                             *tag_params]
        base = (f"SELECT time_ns, {values} FROM points p WHERE measurement = ? "
                f"AND time_ns >= ? AND time_ns < ?{cond}")
        any_value = " OR ".join(f"v{i} IS NOT NULL" for i in range(len(names)))

        def run(conn: sqlite3.Connection) -> list[Row]:
            if every is None:
                sql = f"SELECT * FROM ({base}) WHERE {any_value} ORDER BY time_ns"
                return [_row(r[0], names, r[1:]) for r in conn.execute(sql, params)]
            if how == "last":
                return _last(conn.execute(f"{base} ORDER BY time_ns", params), names, every)
            fn = _SQL_AGGREGATES[how]
            aggs = ", ".join(f"{fn}(v{i})" for i in range(len(names)))
            counts = " + ".join(f"COUNT(v{i})" for i in range(len(names)))
            sql = (f"SELECT time_ns - ((time_ns % {every}) + {every}) % {every} AS w, {aggs} "
                   f"FROM ({base}) GROUP BY w HAVING {counts} > 0 ORDER BY w")
            return [_row(r[0], names, r[1:]) for r in conn.execute(sql, params)]

        return await self._worker.run(run)

    async def latest(self, measurement: str, *,
                     tags: Mapping[str, str] | None = None) -> list[Latest]:
        measurement = check.name(measurement, "measurement")
        tag_pairs = check.tags(tags)
        cond, tag_params = _tag_filter(tag_pairs)
        params = [measurement, *tag_params]
        # one camera's points only (the planner would walk the key's tags order instead)
        among = " INDEXED BY points_by_camera_time" if "camera" in dict(tag_pairs) else ""
        # SQLite: the bare columns of a MAX() aggregate come from the row holding the max
        sql = (f"SELECT p.tags, f.key, MAX(p.time_ns), f.value FROM points p{among}, "
               f"json_each(p.fields) f WHERE p.measurement = ?{cond} "
               "GROUP BY p.tags, f.key ORDER BY p.tags, f.key")

        def run(conn: sqlite3.Connection) -> list[Latest]:
            found = [Latest(json.loads(t), str(k), check.from_ns(int(ns)), float(v))
                     for t, k, ns, v in conn.execute(sql, params) if v is not None]
            return sorted(found, key=lambda x: (sorted(x.tags.items()), x.field))

        return await self._worker.run(run)

    async def measurements(self, tags: Mapping[str, str] | None = None) -> list[str]:
        cond, params = _tag_filter(check.tags(tags))

        # the measurements one index seek after another (a loose index scan), then
        # whether any point of each matches: never every point of the store
        sql = ("WITH RECURSIVE m(name) AS (SELECT MIN(measurement) FROM points UNION ALL "
               "SELECT (SELECT MIN(measurement) FROM points WHERE measurement > m.name) "
               "FROM m WHERE m.name IS NOT NULL) SELECT name FROM m WHERE name IS NOT NULL "
               "AND EXISTS (SELECT 1 FROM points p WHERE p.measurement = m.name"
               f"{cond}) ORDER BY name")

        def run(conn: sqlite3.Connection) -> list[str]:
            return [r[0] for r in conn.execute(sql, params)]

        return await self._worker.run(run)


    async def usage(self, measurement: str, *,
                    tags: Mapping[str, str] | None = None) -> Usage:
        measurement = check.name(measurement, "measurement")
        cond, tag_params = _tag_filter(check.tags(tags))
        params: list[Any] = [measurement, *tag_params]
        size = ("length(CAST(measurement AS BLOB)) + length(CAST(tags AS BLOB)) + "
                "length(CAST(fields AS BLOB)) + 8")  # + time_ns

        def run(conn: sqlite3.Connection) -> Usage:
            where = f"FROM points p WHERE measurement = ?{cond}"
            count = int(conn.execute(f"SELECT COUNT(*) {where}", params).fetchone()[0])
            if count == 0:
                return Usage(0, 0)
            sample, total = conn.execute(
                f"SELECT COUNT(*), SUM(s) FROM (SELECT {size} AS s {where} LIMIT ?)",
                [*params, USAGE_SAMPLE]).fetchone()
            return Usage(count, round(int(total) * count / max(int(sample), 1)))

        return await self._worker.run(run)


def _row(time_ns: int, names: Sequence[str], values: Sequence[Any]) -> Row:
    return Row(check.from_ns(time_ns),
               {n: (None if v is None else float(v)) for n, v in zip(names, values, strict=True)})


def _last(rows: Any, names: Sequence[str], every: int) -> list[Row]:
    """The last value of each field in each window, from rows oldest first."""
    windows: dict[int, list[Any]] = {}
    for time_ns, *values in rows:
        window = time_ns - time_ns % every
        slot = windows.setdefault(window, [None] * len(names))
        for i, value in enumerate(values):
            if value is not None:
                slot[i] = value
    return [_row(w, names, slot) for w, slot in sorted(windows.items())
            if any(v is not None for v in slot)]

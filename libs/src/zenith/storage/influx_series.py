"""SeriesStore on InfluxDB over its v1 HTTP API: the production backend.

``influx+http://host:8086/<database>`` (``influx+https://`` for TLS). Points
are serialised by ``influxdb_client.Point`` (its line-protocol escaping)
and posted to ``/write?db=<database>&precision=ns``; queries are InfluxQL
on ``/query`` (:mod:`zenith.storage.influxql`). InfluxDB 1.x, 2.x (v1
compatibility API, database = bucket) and 3.x all serve these. A token is
sent as ``Authorization: Token <token>``; ``user:password@`` in the URL as
basic auth. On open the database is created when the server allows it
(1.x); elsewhere it must exist already and the failure is ignored.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
from influxdb_client.client.write.point import Point as LinePoint
from influxdb_client.domain.write_precision import WritePrecision

from zenith.errors import BadRequest, ConfigError, StorageError, Unavailable, ZenithError
from zenith.storage import influxql
from zenith.storage import series_validate as check
from zenith.storage.series import Aggregate, Latest, Row, SeriesStore, Usage
from zenith.storage.series_validate import CheckedPoint

log = logging.getLogger(__name__)
BATCH_LINES = 5000


def line(point: CheckedPoint) -> str:
    out = LinePoint(point.measurement)  # type: ignore[no-untyped-call]
    for key, value in point.tags:
        out.tag(key, value)  # type: ignore[no-untyped-call]
    for key, number in point.fields.items():
        out.field(key, number)  # type: ignore[no-untyped-call]
    out.time(point.time_ns, WritePrecision.NS)  # type: ignore[no-untyped-call]
    text: str = out.to_line_protocol()  # type: ignore[no-untyped-call]
    return text


def parse_url(url: str) -> tuple[str, str, str | None]:
    """``(http base URL, database, Authorization header for user:password@ or None)``
    from an ``influx+http(s)://`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("influx+http", "influx+https") or not parts.hostname:
        raise ConfigError(f"ZENITH_SERIES_URL: {url!r} is not influx+http://host:port/database")
    database = unquote(parts.path.strip("/"))
    if not database or "/" in database:
        raise ConfigError("ZENITH_SERIES_URL: name the database (bucket) as the URL's path, "
                          "e.g. influx+http://host:8086/zenith")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    base = f"{parts.scheme.removeprefix('influx+')}://{host}:{parts.port or 8086}"
    auth = None
    if parts.username:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(pair.encode()).decode()
    return base, database, auth


def _documents(text: str) -> list[dict[str, Any]]:
    """The JSON objects of a reply (one, or one per line when chunked)."""
    decoder, out, pos = json.JSONDecoder(), [], 0
    text = text.strip()
    while pos < len(text):
        doc, pos = decoder.raw_decode(text, pos)
        out.append(doc)
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class InfluxSeriesStore(SeriesStore):
    """Use :meth:`open`, which makes the HTTP session and checks the server."""

    def __init__(self, base_url: str, database: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self.database = database
        self._session = session

    @classmethod
    async def open(cls, url: str, *, token: str | None = None,
                   timeout_s: float = 30.0) -> InfluxSeriesStore:
        base, database, auth = parse_url(url)
        authorization = f"Token {token}" if token else auth
        headers = {"Authorization": authorization} if authorization else {}
        session = aiohttp.ClientSession(headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=timeout_s))
        store = cls(base, database, session)
        try:
            await store._ping()
            await store._create_database()
        except BaseException:
            await session.close()
            raise
        return store

    async def close(self) -> None:
        await self._session.close()

    async def _ping(self) -> None:
        try:
            async with self._session.get(self.base_url + "/ping") as reply:
                if reply.status >= 500:
                    raise Unavailable(f"InfluxDB at {self.base_url} answered {reply.status}")
        except aiohttp.ClientError as exc:
            raise Unavailable(f"InfluxDB at {self.base_url} is not reachable: {exc}") from exc

    async def _create_database(self) -> None:
        try:
            await self._query(influxql.create_database(self.database), post=True,
                              with_db=False)
        except ZenithError as exc:  # 2.x/3.x, or no admin rights: it must exist
            log.debug("CREATE DATABASE %s refused (it must exist): %s", self.database, exc)

    async def _request(self, method: str, path: str, params: dict[str, str],
                       data: bytes | None = None) -> tuple[int, str]:
        try:
            async with self._session.request(method, self.base_url + path, params=params,
                                             data=data) as reply:
                return reply.status, await reply.text()
        except aiohttp.ClientError as exc:
            raise Unavailable(f"InfluxDB at {self.base_url} is not reachable: {exc}") from exc
        except TimeoutError as exc:
            raise Unavailable(f"InfluxDB at {self.base_url} timed out") from exc

    def _raise_for(self, status: int, body: str, action: str) -> None:
        if status < 300:
            return
        try:
            message = json.loads(body).get("error") or body
        except (ValueError, AttributeError):
            message = body
        text = f"InfluxDB {action}: {status} {str(message).strip()[:500]}"
        if status in (401, 403):
            raise StorageError(text + " (check the token / credentials)", code="influx_auth")
        if status in (400, 413, 422):
            raise BadRequest(text, code="influx_rejected")
        if status >= 500:
            raise Unavailable(text)
        raise StorageError(text)

    async def _query(self, statement: str, *, post: bool = False,
                     with_db: bool = True) -> list[dict[str, Any]]:
        """The statement's series (``[{"name", "columns", "values"}, ...]``)."""
        params = {"q": statement, "epoch": "ns", "chunked": "true", "chunk_size": "10000"}
        if with_db:
            params["db"] = self.database
        status, body = await self._request("POST" if post else "GET", "/query", params)
        self._raise_for(status, body, "query")
        series: list[dict[str, Any]] = []
        for doc in _documents(body):
            if doc.get("error"):
                raise StorageError(f"InfluxDB query: {doc['error']}")
            for result in doc.get("results", []):
                if result.get("error"):
                    if str(result["error"]).startswith("database not found"):
                        return []  # nothing written yet
                    raise StorageError(f"InfluxDB query: {result['error']}")
                series.extend(result.get("series", []))
        return series

    async def write(self, points: Sequence[Any]) -> None:
        lines = [line(p) for p in check.points(points)]
        params = {"db": self.database, "precision": "ns"}
        for i in range(0, len(lines), BATCH_LINES):
            body = "\n".join(lines[i:i + BATCH_LINES]).encode()
            status, text = await self._request("POST", "/write", params, body)
            self._raise_for(status, text, "write")

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
        statement = influxql.select(measurement, names, start_ns=start_ns, end_ns=end_ns,
                                    tags=tag_pairs, every_ns=every, aggregate=how)
        found: list[tuple[int, dict[str, float | None]]] = []
        for series in await self._query(statement):
            index = {col: i for i, col in enumerate(series.get("columns", []))}
            for values in series.get("values", []):
                row = {name: _number(values[index[f"c{i}"]]) if f"c{i}" in index else None
                       for i, name in enumerate(names)}
                if any(v is not None for v in row.values()):
                    found.append((int(values[index["time"]]), row))
        found.sort(key=lambda item: item[0])
        return [Row(check.from_ns(t), values) for t, values in found]

    async def latest(self, measurement: str, *,
                     tags: Mapping[str, str] | None = None) -> list[Latest]:
        measurement = check.name(measurement, "measurement")
        tag_pairs = check.tags(tags)
        keys = await self._query(f"SHOW FIELD KEYS FROM {influxql.ident(measurement)}")
        fields = sorted({str(v[0]) for s in keys for v in s.get("values", [])})
        if not fields:
            return []
        where = influxql.tag_conditions(tag_pairs)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        # one selector per statement: then the time is the selected point's own
        statement = ";".join(f"SELECT LAST({influxql.ident(f)}) AS v "
                             f"FROM {influxql.ident(measurement)}{clause} GROUP BY *"
                             for f in fields)
        found: list[Latest] = []
        params = {"q": statement, "epoch": "ns", "db": self.database}
        status, body = await self._request("GET", "/query", params)
        self._raise_for(status, body, "query")
        for doc in _documents(body):
            for result in doc.get("results", []):
                if result.get("error"):
                    raise StorageError(f"InfluxDB query: {result['error']}")
                field = fields[int(result.get("statement_id", 0))]
                for series in result.get("series", []):
                    index = {col: i for i, col in enumerate(series.get("columns", []))}
                    for values in series.get("values", []):
                        value = _number(values[index["v"]])
                        if value is not None:
                            found.append(Latest(dict(series.get("tags") or {}), field,
                                                check.from_ns(int(values[index["time"]])),
                                                value))
        found.sort(key=lambda x: (sorted(x.tags.items()), x.field))
        return found

    async def measurements(self, tags: Mapping[str, str] | None = None) -> list[str]:
        statement = influxql.show_measurements(check.tags(tags))
        names = {str(values[0]) for series in await self._query(statement)
                 for values in series.get("values", [])}
        return sorted(names)


    async def usage(self, measurement: str, *,
                    tags: Mapping[str, str] | None = None) -> Usage:
        """The count from InfluxDB's ``COUNT(*)``; the bytes estimated as the newest
        point's line protocol times the count (InfluxDB compresses on disk and does
        not tell a series' share)."""
        measurement = check.name(measurement, "measurement")
        where = influxql.tag_conditions(check.tags(tags))
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        source = influxql.ident(measurement)
        count = 0
        for series in await self._query(f"SELECT COUNT(*) FROM {source}{clause}"):
            columns = series.get("columns", [])
            for values in series.get("values", []):
                count = max([count, *(int(v) for c, v in zip(columns, values, strict=False)
                                      if c != "time" and v is not None)])
        if count == 0:
            return Usage(0, 0)
        newest = 0
        for series in await self._query(f"SELECT * FROM {source}{clause} "
                                         "ORDER BY time DESC LIMIT 1"):
            columns = series.get("columns", [])
            for values in series.get("values", [])[:1]:
                newest = len(measurement) + 20 + sum(  # 19 digits of ns and a space
                    len(c) + len(str(v)) + 2 for c, v in zip(columns, values, strict=False)
                    if c != "time" and v is not None)
        return Usage(count, newest * count)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)

"""What only the InfluxDB backend does: URLs, InfluxQL quoting, server errors."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from tests.support.influx import Influxd
from zenith.errors import BadRequest
from zenith.storage import influxql
from zenith.storage.influx_series import InfluxSeriesStore, parse_url
from zenith.storage.series import Point

T0 = datetime(2026, 11, 21, tzinfo=UTC)


def test_identifiers_and_literals_are_quoted_and_escaped() -> None:
    assert influxql.ident('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
    assert influxql.literal("it's \\ here") == "'it\\'s \\\\ here'"
    statement = influxql.select("m x", ["v"], start_ns=0, end_ns=10,
                                tags=[("camera", "a'b")], every_ns=None, aggregate="mean")
    assert statement == ('SELECT "v"::field AS "c0" FROM "m x" WHERE time >= 0 AND time < 10 '
                         "AND \"camera\" = 'a\\'b'")
    grouped = influxql.select("m", ["v", "w"], start_ns=0, end_ns=10, tags=[],
                              every_ns=60_000_000_000, aggregate="max")
    assert grouped.endswith("GROUP BY time(60000000000ns) fill(none)")
    assert 'max("w"::field) AS "c1"' in grouped
    assert influxql.show_measurements([("camera", "demo")]) \
        == "SHOW MEASUREMENTS WHERE \"camera\" = 'demo'"


def test_urls() -> None:
    assert parse_url("influx+http://db.local:8086/zenith") \
        == ("http://db.local:8086", "zenith", None)
    base, database, auth = parse_url("influx+https://user:p%40ss@h/my%20db")
    assert (base, database) == ("https://h:8086", "my db")
    assert auth == "Basic " + base64.b64encode(b"user:p@ss").decode()


async def test_a_fresh_database_is_created_and_empty(influx_url: str) -> None:
    store = await InfluxSeriesStore.open(influx_url)
    try:
        assert await store.measurements() == []
        assert await store.query("sky", ["v"], start=T0, end=T0 + timedelta(days=1)) == []
    finally:
        await store.close()


async def test_a_field_type_conflict_is_a_clear_bad_request(influxd: Influxd,
                                                            influx_url: str) -> None:
    store = await InfluxSeriesStore.open(influx_url)
    try:
        # another writer stored "v" as an integer; Zenith writes floats
        async with aiohttp.ClientSession() as http, http.post(
                f"{influxd.http_url}/write", params={"db": store.database, "precision": "ns"},
                data=f"sky v=1i {T0.timestamp() * 1e9:.0f}") as reply:
            assert reply.status == 204
        with pytest.raises(BadRequest, match="conflict"):
            await store.write([Point("sky", T0 + timedelta(seconds=1), {"v": 2.5})])
    finally:
        await store.close()


async def test_long_ranges_come_back_whole(influx_url: str) -> None:
    store = await InfluxSeriesStore.open(influx_url)
    try:
        await store.write([Point("sky", T0 + timedelta(seconds=i), {"v": float(i)})
                           for i in range(25_000)])
        found = await store.query("sky", ["v"], start=T0, end=T0 + timedelta(days=1))
        assert len(found) == 25_000
        assert found[-1].values == {"v": 24_999.0}
    finally:
        await store.close()

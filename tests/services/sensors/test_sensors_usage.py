"""How much a camera's readings take (SeriesStore.usage, sensors.USAGE): counted by
the store, not read back, fast for a year of points; on SQLite and on influxd."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.services.sensors.sensorstest import CAMERA, SensorsRunner
from zenith.bus import BusClient
from zenith.contracts import sensors
from zenith.storage.series import Point, SeriesStore

START = datetime(2025, 1, 1, tzinfo=UTC)
EVERY = timedelta(minutes=5)
YEAR = 365 * 24 * 12  # one sky point every 5 minutes for a year: 105,120


def year_of_points(camera: str, count: int) -> list[Point]:
    return [
        Point(
            "sky",
            START + i * EVERY,
            {"sqm": 21.0 + (i % 50) / 100, "stars": 40.0},
            {"camera": camera},
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("series_store", ["sqlite", "influxd"], indirect=True)
async def test_usage_of_a_year_is_counted_fast_and_per_camera(series_store: SeriesStore) -> None:
    points = year_of_points(CAMERA, YEAR)
    for n in range(0, YEAR, 20_000):
        await series_store.write(points[n : n + 20_000])
    await series_store.write(year_of_points("other-cam", 1000))
    await series_store.write(
        [Point("tsl2591", START, {"SQM_RAW": 20.5}, {"camera": CAMERA, "sensor": "sqm"})]
    )
    started = time.perf_counter()
    usage = await series_store.usage("sky", tags={"camera": CAMERA})
    took = time.perf_counter() - started
    assert usage.points == YEAR
    # a stored point is at least its fields and tags as written (sqm, stars, camera)
    assert YEAR * 30 < usage.bytes < YEAR * 200, usage
    assert took < 5.0, f"{took:.2f} s for a year"  # typically well under 0.5 s
    print(f"usage of {YEAR} points: {took * 1000:.0f} ms, {usage.bytes} bytes")
    assert (await series_store.usage("sky", tags={"camera": "other-cam"})).points == 1000
    assert (await series_store.usage("tsl2591", tags={"camera": CAMERA})).points == 1
    none = await series_store.usage("sky", tags={"camera": "nobody"})
    assert (none.points, none.bytes) == (0, 0)
    assert (await series_store.usage("nothing", tags={"camera": CAMERA})).points == 0


async def test_sqlite_counts_a_camera_by_its_index(tmp_path: Path) -> None:
    from zenith.storage.sqlite_series import SqliteSeriesStore

    store = await SqliteSeriesStore.open(tmp_path / "s.db")
    try:
        await store.write(year_of_points(CAMERA, 10))
    finally:
        await store.close()
    conn = sqlite3.connect(tmp_path / "s.db")
    plan = " ".join(
        str(r)
        for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM points p WHERE measurement = ? AND "
            "json_extract(tags, '$.camera') = ?",
            ["sky", CAMERA],
        )
    )
    conn.close()
    assert "points_by_camera" in plan, plan


async def test_usage_endpoint_and_its_bad_input(
    runner: SensorsRunner, bus: BusClient, raw: Any
) -> None:
    node = await runner.start()
    await node.series.write(year_of_points(CAMERA, 300) + year_of_points("other-cam", 7))
    reply: sensors.UsageReply = await bus.request(
        sensors.USAGE, {"camera": CAMERA, "measurements": ["sky", "tsl2591"]}
    )
    assert reply.camera == CAMERA
    by = {m.measurement: m for m in reply.measurements}
    assert by["sky"].points == 300 and by["sky"].bytes > 300 * 30
    assert (by["tsl2591"].points, by["tsl2591"].bytes) == (0, 0)
    for body in (
        {"camera": "Bad Camera", "measurements": ["sky"]},
        {"camera": CAMERA, "measurements": []},
        {"camera": CAMERA, "measurements": ["a;DROP"]},
        {"camera": CAMERA, "measurements": ["sky"] * 17},
        {"camera": CAMERA},
    ):
        status, answer = await raw(sensors.USAGE, body)
        assert status == 400 and answer["error"]["code"] == "invalid_request", (body, answer)
    status, answer = await raw(sensors.USAGE, b"not json")
    assert status == 400

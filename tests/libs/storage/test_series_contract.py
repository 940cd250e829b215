"""The SeriesStore contract, run against every backend (``series_store`` fixture).

Every point carries a ``camera`` tag unique to the test and measurement
names carry a unique suffix, so the suite also runs on a shared real
InfluxDB database without seeing other runs' data.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta, timezone

import pytest

from zenith.errors import BadRequest
from zenith.storage.series import Point, Row, SeriesStore

T0 = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)


@pytest.fixture
def cam() -> str:
    return "cam-" + secrets.token_hex(4)


@pytest.fixture
def m() -> str:
    return "bme280_" + secrets.token_hex(4)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def rows(found: list[Row]) -> list[tuple[float, dict[str, float | None]]]:
    return [((r.time - T0).total_seconds(), dict(r.values)) for r in found]


async def test_write_and_query_a_range(series_store: SeriesStore, cam: str, m: str) -> None:
    await series_store.write([Point(m, at(i), {"temp": 10 + i, "hum": 50.5},
                                    {"camera": cam}) for i in range(10)])
    found = await series_store.query(m, ["temp", "hum"], start=at(2), end=at(5),
                                     tags={"camera": cam})
    assert rows(found) == [(2, {"temp": 12.0, "hum": 50.5}), (3, {"temp": 13.0, "hum": 50.5}),
                           (4, {"temp": 14.0, "hum": 50.5})]
    assert all(r.time.tzinfo is not None and r.time.utcoffset() == timedelta(0) for r in found)
    assert await series_store.query(m, ["temp"], start=at(100), end=at(200),
                                    tags={"camera": cam}) == []
    assert await series_store.query(m, ["temp"], start=at(5), end=at(5),
                                    tags={"camera": cam}) == []


async def test_missing_fields_come_back_as_none(series_store: SeriesStore, cam: str,
                                                m: str) -> None:
    await series_store.write([Point(m, at(0), {"temp": 1.0}, {"camera": cam}),
                              Point(m, at(1), {"hum": 2.0}, {"camera": cam}),
                              Point(m, at(2), {"other": 3.0}, {"camera": cam})])
    found = await series_store.query(m, ["temp", "hum"], start=at(0), end=at(10),
                                     tags={"camera": cam})
    assert rows(found) == [(0, {"temp": 1.0, "hum": None}), (1, {"temp": None, "hum": 2.0})]


async def test_tags_filter_points(series_store: SeriesStore, cam: str, m: str) -> None:
    other = cam + "-b"
    await series_store.write([
        Point(m, at(0), {"temp": 1}, {"camera": cam, "sensor": "in"}),
        Point(m, at(1), {"temp": 2}, {"camera": cam, "sensor": "out"}),
        Point(m, at(2), {"temp": 3}, {"camera": other, "sensor": "in"}),
    ])
    mine = await series_store.query(m, ["temp"], start=at(0), end=at(10), tags={"camera": cam})
    assert rows(mine) == [(0, {"temp": 1.0}), (1, {"temp": 2.0})]
    outside = await series_store.query(m, ["temp"], start=at(0), end=at(10),
                                       tags={"camera": cam, "sensor": "out"})
    assert rows(outside) == [(1, {"temp": 2.0})]
    inside = await series_store.query(m, ["temp"], start=at(0), end=at(10),
                                      tags={"sensor": "in", "camera": other})
    assert rows(inside) == [(2, {"temp": 3.0})]


async def test_rewriting_a_point_overwrites_its_fields(series_store: SeriesStore, cam: str,
                                                       m: str) -> None:
    tags = {"camera": cam}
    await series_store.write([Point(m, at(0), {"temp": 1.0, "hum": 40.0}, tags)])
    await series_store.write([Point(m, at(0), {"temp": 2.0}, tags)])
    await series_store.write([Point(m, at(0), {"temp": 3.0}, tags),
                              Point(m, at(0), {"temp": 4.0}, tags)])
    found = await series_store.query(m, ["temp", "hum"], start=at(0), end=at(1), tags=tags)
    assert rows(found) == [(0, {"temp": 4.0, "hum": 40.0})]


async def _windows(series_store: SeriesStore, cam: str, m: str) -> None:
    # windows of 10 s aligned to the epoch: [0,10) has 0..4, [10,20) empty, [20,30) has 25, 27
    values = {0: 5.0, 1: 1.0, 2: 3.0, 4: 2.0, 25: 10.0, 27: 20.0}
    await series_store.write([Point(m, at(s), {"temp": v, "hum": s * 2.0}, {"camera": cam})
                              for s, v in values.items()])
    await series_store.write([Point(m, at(8), {"hum": 100.0}, {"camera": cam})])


@pytest.mark.parametrize(("aggregate", "expected"), [
    ("mean", [(0, {"temp": 2.75, "hum": 22.8}), (20, {"temp": 15.0, "hum": 52.0})]),
    ("min", [(0, {"temp": 1.0, "hum": 0.0}), (20, {"temp": 10.0, "hum": 50.0})]),
    ("max", [(0, {"temp": 5.0, "hum": 100.0}), (20, {"temp": 20.0, "hum": 54.0})]),
    ("last", [(0, {"temp": 2.0, "hum": 100.0}), (20, {"temp": 20.0, "hum": 54.0})]),
])
async def test_aggregation_windows(series_store: SeriesStore, cam: str, m: str,
                                   aggregate: str, expected: list[object]) -> None:
    await _windows(series_store, cam, m)
    found = await series_store.query(m, ["temp", "hum"], start=at(0), end=at(60),
                                     tags={"camera": cam}, every_s=10,
                                     aggregate=aggregate)  # type: ignore[arg-type]
    got = rows(found)
    assert [t for t, _ in got] == [t for t, _ in expected]  # type: ignore[misc]
    for (_, values), (_, want) in zip(got, expected, strict=True):  # type: ignore[misc]
        assert values == pytest.approx(want)


async def test_aggregation_windows_are_aligned_to_the_epoch(series_store: SeriesStore,
                                                            cam: str, m: str) -> None:
    await _windows(series_store, cam, m)
    found = await series_store.query(m, ["temp"], start=at(3), end=at(26), every_s=10,
                                     tags={"camera": cam}, aggregate="max")
    # the first window starts at 0 but only counts points from 3 on
    assert rows(found) == [(0, {"temp": 2.0}), (20, {"temp": 10.0})]


async def test_special_names_round_trip(series_store: SeriesStore, cam: str) -> None:
    measurement = f"sky quality, north {cam} \"q\" 'x' = é"
    tags = {"camera": cam, "place name": "Mont-Blanc, \"west\" side=1 ' é"}
    fields = {"sky brightness": 21.5, "a,b=c \"d\"": 1.0}
    await series_store.write([Point(measurement, at(1), fields, tags)])
    assert await series_store.measurements({"camera": cam}) == [measurement]
    found = await series_store.query(measurement, list(fields), start=at(0), end=at(2),
                                     tags=tags)
    assert rows(found) == [(1, fields)]
    assert await series_store.query(measurement, list(fields), start=at(0), end=at(2),
                                    tags={"place name": "Mont-Blanc"}) == []


async def test_measurements_lists_names_with_points(series_store: SeriesStore, cam: str,
                                                    m: str) -> None:
    other = cam + "-b"
    await series_store.write([Point(m + "_a", at(0), {"v": 1}, {"camera": cam}),
                              Point(m + "_b", at(0), {"v": 1}, {"camera": cam}),
                              Point(m + "_c", at(0), {"v": 1}, {"camera": other})])
    assert await series_store.measurements({"camera": cam}) == [m + "_a", m + "_b"]
    assert await series_store.measurements({"camera": other}) == [m + "_c"]
    assert await series_store.measurements({"camera": cam + "-none"}) == []
    everything = await series_store.measurements()
    assert {m + "_a", m + "_b", m + "_c"} <= set(everything)


async def test_timezone_aware_times_in_and_out(series_store: SeriesStore, cam: str,
                                               m: str) -> None:
    tokyo = timezone(timedelta(hours=9))
    when = datetime(2026, 11, 21, 9, 30, 15, 250000, tzinfo=tokyo)
    await series_store.write([Point(m, when, {"v": 1.5}, {"camera": cam})])
    found = await series_store.query(m, ["v"], tags={"camera": cam},
                                     start=datetime(2026, 11, 21, 0, 30, tzinfo=UTC),
                                     end=datetime(2026, 11, 21, 0, 31, tzinfo=UTC))
    assert len(found) == 1
    assert found[0].time == when
    assert found[0].time.tzinfo is not None and found[0].time.utcoffset() == timedelta(0)


async def test_many_points_in_one_write(series_store: SeriesStore, cam: str, m: str) -> None:
    await series_store.write([Point(m, at(i), {"v": i}, {"camera": cam}) for i in range(6000)])
    found = await series_store.query(m, ["v"], start=at(0), end=at(6000), tags={"camera": cam},
                                     every_s=600, aggregate="max")
    assert [r.values["v"] for r in found] == [600.0 * k - 1 for k in range(1, 11)]
    assert await series_store.write([]) is None


BAD_POINTS = [
    Point("m", datetime(2026, 1, 1), {"v": 1}),  # naive time
    Point("m", T0, {}),
    Point("m", T0, {"v": "1"}),  # type: ignore[dict-item]
    Point("m", T0, {"v": True}),
    Point("m", T0, {"v": float("nan")}),
    Point("m", T0, {"v": float("inf")}),
    Point("", T0, {"v": 1}),
    Point("line\nbreak", T0, {"v": 1}),
    Point("m", T0, {"v": 1}, {"camera": ""}),
    Point("m", T0, {"v": 1}, {"camera": 5}),  # type: ignore[dict-item]
    Point("m", T0, {"time": 1}),
    Point("m", T0, {"v": 1}, {"_measurement": "x"}),
    Point(5, T0, {"v": 1}),  # type: ignore[arg-type]
    Point("back\\slash", T0, {"v": 1}),
    Point("#comment", T0, {"v": 1}),
    Point("m", T0, {"v": 1}, {"place": "a\\"}),
]


@pytest.mark.parametrize("bad", BAD_POINTS)
async def test_bad_points_are_refused_and_nothing_is_written(series_store: SeriesStore,
                                                             cam: str, m: str,
                                                             bad: Point) -> None:
    good = Point(m, at(0), {"v": 1.0}, {"camera": cam})
    with pytest.raises(BadRequest):
        await series_store.write([good, bad])
    assert await series_store.query(m, ["v"], start=at(0), end=at(1),
                                    tags={"camera": cam}) == []


@pytest.mark.parametrize("kwargs", [
    {"fields": []}, {"fields": "v"}, {"start": datetime(2026, 1, 1)}, {"end": "now"},
    {"every_s": 0}, {"every_s": -5}, {"every_s": "10"}, {"aggregate": "median"},
    {"tags": {"camera": 5}}, {"measurement": ""}, {"fields": ["v", "v"]},
])
async def test_bad_queries_are_refused(series_store: SeriesStore, m: str,
                                       kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"measurement": m, "fields": ["v"], "start": at(0),
                               "end": at(10), **kwargs}
    with pytest.raises(BadRequest):
        await series_store.query(**args)  # type: ignore[arg-type]


async def test_bad_write_arguments_are_refused(series_store: SeriesStore) -> None:
    with pytest.raises(BadRequest):
        await series_store.write(Point("m", T0, {"v": 1}))  # type: ignore[arg-type]
    with pytest.raises(BadRequest):
        await series_store.write([{"measurement": "m"}])  # type: ignore[list-item]
    with pytest.raises(BadRequest):
        await series_store.measurements({"camera": ""})


async def test_quotes_in_names_cannot_widen_a_query(series_store: SeriesStore, cam: str,
                                                    m: str) -> None:
    await series_store.write([Point(m, at(0), {"v": 1.0}, {"camera": cam})])
    sneaky = {"camera": f"{cam}' OR \"camera\" =~ /.*/ OR \"camera\" = '"}
    assert await series_store.query(m, ["v"], start=at(0), end=at(1), tags=sneaky) == []
    assert await series_store.measurements(sneaky) == []
    assert await series_store.query(m + '" WHERE 1=1 --', ["v"], start=at(0), end=at(1)) == []
    assert rows(await series_store.query(m, ["v"], start=at(0), end=at(1),
                                         tags={"camera": cam})) == [(0, {"v": 1.0})]


async def test_points_of_several_series_at_one_time_all_come_back(series_store: SeriesStore,
                                                                  cam: str, m: str) -> None:
    await series_store.write([Point(m, at(0), {"v": 1.0}, {"camera": cam, "sensor": "a"}),
                              Point(m, at(0), {"v": 2.0}, {"camera": cam, "sensor": "b"})])
    found = await series_store.query(m, ["v"], start=at(0), end=at(1), tags={"camera": cam})
    assert sorted(r.values["v"] for r in found) == [1.0, 2.0]  # type: ignore[type-var]
    mean = await series_store.query(m, ["v"], start=at(0), end=at(1), tags={"camera": cam},
                                    every_s=1)
    assert rows(mean) == [(0, {"v": 1.5})]


async def test_latest_gives_each_fields_newest_value_per_series(series_store: SeriesStore,
                                                                cam: str, m: str) -> None:
    other = cam + "-b"
    await series_store.write([
        Point(m, at(0), {"temp": 1, "hum": 50}, {"camera": cam, "sensor": "in"}),
        Point(m, at(5), {"temp": 2}, {"camera": cam, "sensor": "in"}),
        Point(m, at(3), {"temp": 7, "hum": 60}, {"camera": cam, "sensor": "out"}),
        Point(m, at(9), {"temp": 9}, {"camera": other, "sensor": "in"}),
    ])
    found = await series_store.latest(m, tags={"camera": cam})
    assert [(dict(x.tags), x.field, x.time, x.value) for x in found] == [
        ({"camera": cam, "sensor": "in"}, "hum", at(0), 50.0),
        ({"camera": cam, "sensor": "in"}, "temp", at(5), 2.0),
        ({"camera": cam, "sensor": "out"}, "hum", at(3), 60.0),
        ({"camera": cam, "sensor": "out"}, "temp", at(3), 7.0),
    ]
    outside = await series_store.latest(m, tags={"camera": cam, "sensor": "out"})
    assert {(x.field, x.value) for x in outside} == {("hum", 60.0), ("temp", 7.0)}
    assert await series_store.latest(m + "-none", tags={"camera": cam}) == []
    with pytest.raises(BadRequest):
        await series_store.latest("", tags={"camera": cam})
    with pytest.raises(BadRequest):
        await series_store.latest(m, tags={"camera": 5})  # type: ignore[dict-item]

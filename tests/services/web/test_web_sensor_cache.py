"""What web keeps of the sensor page's questions (zenith_web.sensorcache): how
long, what a reading drops, and that an answer older than a reading never
passes for newer. The page with a real sensors service: test_web_site_sensors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from zenith.contracts import sensors
from zenith_web.sensorcache import SensorCache

pytestmark = pytest.mark.asyncio(loop_scope="package")
CAMERA = "ask001"


def series_request(every_s: int, days: float, camera: str = CAMERA) -> sensors.SeriesRequest:
    return sensors.SeriesRequest(
        camera=camera,
        measurement="bme280",
        fields=["temp"],
        start=datetime.now(UTC) - timedelta(days=days),
        every_s=every_s,
        aggregate="mean",
        max_points=1000,
    )


def reading(
    camera: str = CAMERA, measurement: str = "bme280", field: str = "temp"
) -> sensors.Reading:
    return sensors.Reading(
        camera=camera,
        sensor="dome",
        measurement=measurement,
        fields={field: 1.0},
        time=datetime.now(UTC),
    )


def field(name: str, measurement: str = "bme280") -> sensors.LatestField:
    return sensors.LatestField(measurement=measurement, sensor="dome", field=name, value=1.0,
                               time=datetime.now(UTC))


class Asked:
    def __init__(self) -> None:
        self.count = 0

    async def rows(self) -> list[tuple[float, dict[str, float | None]]]:
        self.count += 1
        return [(float(self.count), {"temp": float(self.count)})]


async def test_a_series_is_kept_for_a_twelfth_of_its_bucket() -> None:
    now = [0.0]
    cache = SensorCache(clock=lambda: now[0])
    day, five_min = Asked(), Asked()
    for _ in range(3):
        await cache.series(series_request(86400, 365), day.rows)
        await cache.series(series_request(300, 1), five_min.rows)
    assert (day.count, five_min.count) == (1, 1)
    now[0] = 30.0  # past 24 h's 25 s, well within a year's 2 h
    await cache.series(series_request(86400, 365), day.rows)
    await cache.series(series_request(300, 1), five_min.rows)
    assert (day.count, five_min.count) == (1, 2)
    now[0] = 7300.0
    assert (await cache.series(series_request(86400, 365), day.rows)).times == [2.0]


async def test_a_reading_makes_its_cameras_series_old_after_the_hold() -> None:
    now = [0.0]
    cache = SensorCache(clock=lambda: now[0])
    year, other = Asked(), Asked()
    await cache.series(series_request(86400, 365), year.rows)
    await cache.series(series_request(86400, 365, camera="ask002"), other.rows)
    now[0] = 10.0
    cache.heard_reading(reading())
    now[0] = 100.0  # within a year chart's hold (300 s): kept
    await cache.series(series_request(86400, 365), year.rows)
    assert year.count == 1
    now[0] = 400.0  # past it: asked again; the other camera's is kept
    await cache.series(series_request(86400, 365), year.rows)
    await cache.series(series_request(86400, 365, camera="ask002"), other.rows)
    assert (year.count, other.count) == (2, 1)
    now[0] = 800.0  # no reading since: kept
    await cache.series(series_request(86400, 365), year.rows)
    assert year.count == 2


async def test_an_answer_asked_before_a_reading_is_old_after_the_hold() -> None:
    now = [0.0]
    cache = SensorCache(clock=lambda: now[0])

    async def slow() -> list[tuple[float, dict[str, float | None]]]:
        now[0] = 5.0
        cache.heard_reading(reading())  # heard while the answer was on its way
        return [(1.0, {"temp": 1.0})]

    await cache.series(series_request(300, 1), slow)
    asked = Asked()
    now[0] = 6.2  # past the 24 h hold (~1 s) from when it was asked
    await cache.series(series_request(300, 1), asked.rows)
    assert asked.count == 1


async def test_the_newest_fields_are_dropped_by_a_reading_of_a_new_field() -> None:
    now = [0.0]
    cache = SensorCache(clock=lambda: now[0], latest_ttl_s=60)
    count = [0]

    async def fetch() -> list[sensors.LatestField]:
        count[0] += 1
        return [field("temp")]

    await cache.latest(CAMERA, fetch)
    cache.heard_reading(reading())  # a field it holds: kept
    cache.heard_reading(reading(camera="ask002", field="hum"))  # another camera's
    await cache.latest(CAMERA, fetch)
    assert count[0] == 1
    cache.heard_reading(reading(field="hum"))
    await cache.latest(CAMERA, fetch)
    assert count[0] == 2
    now[0] = 61.0  # the safety net
    await cache.latest(CAMERA, fetch)
    assert count[0] == 3


async def test_newest_fields_asked_across_a_reading_are_not_kept() -> None:
    cache = SensorCache()

    async def fetch() -> list[sensors.LatestField]:
        cache.heard_reading(reading(field="hum"))
        return []

    await cache.latest(CAMERA, fetch)
    asked = [0]

    async def again() -> list[sensors.LatestField]:
        asked[0] += 1
        return []

    await cache.latest(CAMERA, again)
    assert asked[0] == 1


async def test_an_answer_without_a_field_a_reading_brought_is_not_kept_until_one_has_it(
) -> None:
    """Web hears a reading as the sensors service does, which stores it a moment
    later: the first answers after it may not hold its field yet."""
    now = [0.0]
    cache = SensorCache(clock=lambda: now[0], latest_ttl_s=60)
    stored = [field("temp")]
    asked = [0]

    async def fetch() -> list[sensors.LatestField]:
        asked[0] += 1
        return list(stored)

    await cache.latest(CAMERA, fetch)
    now[0] = 1.0
    cache.heard_reading(reading(field="hum"))  # a new field: not stored yet
    now[0] = 1.1
    assert [f.field for f in await cache.latest(CAMERA, fetch)] == ["temp"]
    await cache.latest(CAMERA, fetch)  # still without it: not kept, asked again
    assert asked[0] == 3
    stored.append(field("hum"))  # stored now
    assert [f.field for f in await cache.latest(CAMERA, fetch)] == ["temp", "hum"]
    await cache.latest(CAMERA, fetch)
    assert asked[0] == 4  # an answer with it is kept


async def test_a_field_that_is_never_stored_is_waited_for_only_a_while() -> None:
    from zenith_web.sensorcache import PENDING_FORGET_S, PENDING_S

    now = [0.0]
    cache = SensorCache(clock=lambda: now[0], latest_ttl_s=1e9)
    asked = [0]

    async def fetch() -> list[sensors.LatestField]:
        asked[0] += 1
        return [field("temp")]

    await cache.latest(CAMERA, fetch)
    now[0] = 1.0
    cache.heard_reading(reading(field="off"))  # a switched-off sensor's: never stored
    now[0] = 1.1
    await cache.latest(CAMERA, fetch)
    await cache.latest(CAMERA, fetch)
    assert asked[0] == 3  # waited for: not kept
    now[0] = PENDING_S + 2  # waited long enough: kept without it
    await cache.latest(CAMERA, fetch)
    await cache.latest(CAMERA, fetch)
    assert asked[0] == 4
    cache.heard_reading(reading(field="off"))  # heard again: it drops the answer, as a
    now[0] += 0.1  # new field does, but is not waited for again
    await cache.latest(CAMERA, fetch)
    await cache.latest(CAMERA, fetch)
    assert asked[0] == 5
    now[0] = PENDING_S + PENDING_FORGET_S + 3
    cache.heard_reading(reading(field="off"))  # long after: waited for once more
    now[0] += 0.1
    await cache.latest(CAMERA, fetch)
    await cache.latest(CAMERA, fetch)
    assert asked[0] == 7


async def test_columns_give_each_fields_chart_data_and_present_values() -> None:
    from zenith_web.sensorcache import Columns

    columns = Columns(
        [
            (1.0, {"temp": 2.5, "hum": None}),
            (2.0, {"temp": float("nan")}),
            (3.0, {"temp": 3.0, "hum": 40.0}),
        ]
    )
    assert columns.data("temp") == "[[1.0,2.0,3.0],[2.5,NaN,3.0]]"
    assert columns.data("hum") == "[[1.0,2.0,3.0],[null,null,40.0]]"
    assert columns.present("temp") == [2.5, 3.0]
    assert columns.present("hum") == [40.0]
    assert columns.data("temp") is columns.data("temp")  # worked out once

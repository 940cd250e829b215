"""The SENSORS -> SeriesStore writer: every reading once, shared by replicas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nats.aio.client import Client

from tests.services.sensors.sensorstest import CAMERA, SensorsRunner, eventually
from zenith.contracts import sensors
from zenith_sensors.config import SensorSpec

T0 = datetime(2026, 1, 10, 22, 0, tzinfo=UTC)


def reading(i: int, camera: str = CAMERA) -> sensors.Reading:
    return sensors.Reading(camera=camera, sensor="dome", measurement="bme280",
                           time=T0 + timedelta(minutes=i), fields={"temp": 10.0 - i * 0.1},
                           tags={"sensor": "dome"})


async def _rows(runner: SensorsRunner, camera: str = CAMERA) -> list[object]:
    assert runner.node is not None
    return await runner.node.series.query("bme280", ["temp"], start=T0,
                                          end=T0 + timedelta(days=1), tags={"camera": camera})


async def test_uploaded_readings_are_stored_once_even_when_redelivered(
        runner: SensorsRunner, nc: Client) -> None:
    await runner.start()
    js = nc.jetstream()
    for i in range(5):
        await js.publish(sensors.SENSOR_READING.subject_for(camera=CAMERA, sensor="dome"),
                         reading(i).model_dump_json().encode())
    # the same reading again, as a redelivery or a retried upload would bring it
    await js.publish(sensors.SENSOR_READING.subject_for(camera=CAMERA, sensor="dome"),
                     reading(2).model_dump_json().encode())
    # another camera's upload (a hub) and a message that is not a reading
    await js.publish(sensors.SENSOR_READING.subject_for(camera="ask042", sensor="dome"),
                     reading(0, "ask042").model_dump_json().encode())
    await js.publish(sensors.SENSOR_READING.subject_for(camera=CAMERA, sensor="junk"), b"{}")
    assert runner.node is not None and runner.node.store is not None
    await eventually(lambda: runner.node.store.written >= 7)  # type: ignore[union-attr]
    rows = await _rows(runner)
    assert [round(r.values["temp"], 2) for r in rows] == [10.0, 9.9, 9.8, 9.7, 9.6]  # type: ignore[attr-defined]
    assert len(await _rows(runner, "ask042")) == 1
    info = await js.consumer_info("SENSORS", "sensors-store")
    assert info.num_ack_pending == 0


async def test_local_sensors_publish_and_the_store_keeps_them_across_a_restart(
        runner: SensorsRunner, nc: Client) -> None:
    await runner.start(sensors_devices=[SensorSpec(name="dome", driver="bme280",
                                                   interval_s=0.05)])
    node = runner.node
    assert node is not None
    rows = await eventually(lambda: _enough(runner, 3))
    await runner.stop()
    node = await runner.start()  # a second replica/restart binds the same durable consumer
    more = await eventually(lambda: _enough(runner, len(rows) + 3))
    assert len(more) > len(rows)
    times = [r.time for r in more]  # type: ignore[attr-defined]
    assert times == sorted(times) and len(set(times)) == len(times)


async def _enough(runner: SensorsRunner, n: int) -> list[object] | None:
    assert runner.node is not None
    rows = await runner.node.series.query("bme280", ["temp", "hum", "dewpoint"],
                                          start=datetime.now(UTC) - timedelta(hours=1),
                                          end=datetime.now(UTC) + timedelta(hours=1),
                                          tags={"camera": CAMERA, "sensor": "dome"})
    return rows if len(rows) >= n else None


async def test_two_replicas_share_the_consumer(runner: SensorsRunner, nc: Client,
                                               settings: object) -> None:
    await runner.start()
    other = SensorsRunner(runner.settings)
    await other.start()
    try:
        js = nc.jetstream()
        for i in range(40):
            await js.publish(sensors.SENSOR_READING.subject_for(camera=CAMERA, sensor="dome"),
                             reading(i).model_dump_json().encode())
        a, b = runner.node, other.node
        assert a and b and a.store and b.store
        await eventually(lambda: a.store.written + b.store.written >= 40)  # type: ignore[union-attr]
        assert a.store.written + b.store.written == 40
        assert len(await _rows(runner)) == 40
    finally:
        await other.stop()

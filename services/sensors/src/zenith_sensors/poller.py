"""Read each sensor every ``interval_s``; a failing one is retried with backoff.

One task per sensor, so a sensor that hangs or fails never holds back the
others. A read runs in a thread (drivers block). A failure marks the
sensor ``failed`` (status event ``zenith.status.<camera>.sensor.<name>``)
and tenacity waits 2, 4, 8 ... x interval (at most ``retry_max_s``) before
the next try; the first good read marks it ``ok`` again. Every reading is
handed to ``on_reading`` (the rules, alerts, MQTT) and published on
``zenith.sensors.<camera>.<sensor>`` with ``Nats-Msg-Id`` camera.sensor.time,
so a retried publication is stored once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from nats.js import JetStreamContext
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from zenith.bus.events import try_publish
from zenith.contracts import sensors
from zenith.timefmt import utcnow
from zenith_sensors.backends import Sensor
from zenith_sensors.errors import SensorError
from zenith_sensors.metrics import READS
from zenith_sensors.tasks import stop_task

log = logging.getLogger("zenith.sensors")

OnReading = Callable[[sensors.Reading], Awaitable[None]]
OnState = Callable[[sensors.SensorState], Awaitable[None]]


class SensorLoop:
    def __init__(self, sensor: Sensor, camera: str, js: JetStreamContext, *,
                 retry_max_s: float, on_reading: OnReading, on_state: OnState) -> None:
        self.sensor = sensor
        self.camera = camera
        self.js = js
        self.retry_max_s = retry_max_s
        self.on_reading = on_reading
        self.on_state = on_state
        spec = sensor.spec
        self.state = sensors.SensorState(
            name=spec.name, driver=spec.driver, measurement=sensor.measurement,
            simulated=sensor.simulated, interval_s=spec.interval_s, status="starting")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"sensor-{self.sensor.spec.name}")

    async def stop(self) -> None:
        await stop_task(self._task)
        await asyncio.to_thread(self.sensor.close)

    async def _set(self, **changes: object) -> None:
        before = (self.state.status, self.state.error)
        self.state = self.state.model_copy(update=changes)
        if (self.state.status, self.state.error) != before or self.state.status == "failed":
            await try_publish(self.js, sensors.SENSOR_STATUS, self.state,
                              camera=self.camera, sensor=self.sensor.spec.name)
            await self.on_state(self.state)

    async def _failed(self, retry: RetryCallState) -> None:
        exc = retry.outcome.exception() if retry.outcome else None
        wait = retry.upcoming_sleep
        READS.labels(self.sensor.spec.name, "failed").inc()
        log.warning("sensor %s failed (%d in a row): %s; next try in %.0fs",
                    self.sensor.spec.name, retry.attempt_number, exc, wait)
        await self._set(status="failed", failures=retry.attempt_number,
                        error=str(exc) or type(exc).__name__,
                        next_try=utcnow() + timedelta(seconds=wait))

    async def read_once(self) -> sensors.Reading:
        fields = await asyncio.to_thread(self.sensor.read)
        now = utcnow()
        spec = self.sensor.spec
        return sensors.Reading(camera=self.camera, sensor=spec.name,
                               measurement=self.sensor.measurement, time=now,
                               fields=fields, tags={"sensor": spec.name})

    async def _run(self) -> None:
        interval = self.sensor.spec.interval_s
        while True:
            async for attempt in AsyncRetrying(
                    retry=retry_if_exception_type((SensorError, OSError, ValueError)),
                    wait=wait_exponential(multiplier=interval, min=interval,
                                          max=max(self.retry_max_s, interval)),
                    before_sleep=self._failed, reraise=True):
                with attempt:
                    reading = await self.read_once()
            READS.labels(self.sensor.spec.name, "ok").inc()
            await self._set(status="ok", failures=0, error=None, next_try=None,
                            last_reading=reading)
            await emit(self.js, reading, self.on_reading)
            await asyncio.sleep(interval)


def reading_id(reading: sensors.Reading) -> str:
    return f"{reading.camera}.{reading.sensor}.{_stamp(reading.time)}"


def _stamp(t: datetime) -> str:
    return t.strftime("%Y%m%dT%H%M%S.%fZ")


async def emit(js: JetStreamContext, reading: sensors.Reading, on_reading: OnReading) -> None:
    """Hand a reading to the local consumers, then publish it."""
    try:
        await on_reading(reading)
    except Exception:
        log.exception("handling reading %s failed", reading.sensor)
    await try_publish(js, sensors.SENSOR_READING, reading, msg_id=reading_id(reading),
                      camera=reading.camera, sensor=reading.sensor)

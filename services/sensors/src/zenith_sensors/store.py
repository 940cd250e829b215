"""Every reading on SENSORS into the SeriesStore: the one writer of readings.

A durable pull consumer, ``sensors-store``, on the whole stream
(``zenith.sensors.>``: this node's sensors, capture's ``sky`` metrics and,
on a hub, every uploaded reading). Every replica of the service binds the
same consumer, so replicas share the work. A batch is written in one
SeriesStore call and acknowledged after it: a crash before the ack means a
redelivery, and writing a point again (same measurement, tags and time)
overwrites it with the same values, so nothing changes. A message that is
not a reading is logged and terminated, never retried forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from zenith.bus.pull import release
from zenith.contracts import sensors
from zenith.storage.series import Point, SeriesStore
from zenith_sensors.metrics import STORED
from zenith_sensors.tasks import stop_task

log = logging.getLogger("zenith.sensors")

DURABLE = "sensors-store"
STREAM = sensors.SENSOR_READING.stream


def point_of(reading: sensors.Reading) -> Point:
    return Point(reading.measurement, reading.time, reading.fields,
                 {**reading.tags, "camera": reading.camera})


class StoreWriter:
    def __init__(self, js: JetStreamContext, series: SeriesStore, batch: int = 256,
                 ack_wait_s: float = 30.0) -> None:
        self.js = js
        self.series = series
        self.batch = batch
        self.ack_wait_s = ack_wait_s
        self._task: asyncio.Task[None] | None = None
        self.written = 0

    async def start(self) -> None:
        config = ConsumerConfig(
            durable_name=DURABLE, description="sensors: readings into the SeriesStore",
            filter_subject=sensors.SENSOR_READING.wildcard(),
            ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.ack_wait_s, max_ack_pending=self.batch * 4)
        with contextlib.suppress(Exception):  # exists already (another replica): bind it
            await self.js.add_consumer(STREAM, config)
        self._sub = await self.js.pull_subscribe_bind(durable=DURABLE, stream=STREAM)
        self._task = asyncio.create_task(self._run(), name="sensors-store")

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None
        # Unsubscribe before the connection drains (see zenith.bus.pull.release);
        # messages fetched and not acked are redelivered.
        await release(self._sub)

    async def _run(self) -> None:
        while True:
            try:
                msgs = await self._sub.fetch(self.batch, timeout=1.0)
            except NatsTimeout:
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("sensors-store fetch failed: %s", str(exc) or type(exc).__name__)
                await asyncio.sleep(1.0)
                continue
            points, good = [], []
            for msg in msgs:
                try:
                    points.append(point_of(sensors.Reading.model_validate_json(msg.data)))
                    good.append(msg)
                except ValidationError as exc:
                    log.warning("not a reading on %s, dropped: %s", msg.subject,
                                exc.errors()[0]["msg"] if exc.errors() else exc)
                    await msg.term()
            if not points:
                continue
            try:
                await self.series.write(points)
            except Exception as exc:  # store down: leave unacked, redelivered later
                log.warning("SeriesStore write of %d readings failed: %s", len(points), exc)
                for msg in good:
                    await msg.nak(delay=5.0)
                await asyncio.sleep(1.0)
                continue
            for msg in good:
                await msg.ack()
            self.written += len(points)
            STORED.inc(len(points))

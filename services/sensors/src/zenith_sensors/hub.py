"""On a hub: the alerts of every uploaded camera.

The node's :class:`~.alerts.AlertEngine` watches its own camera; a hub
watches every camera that uploads to it, with the same rules, channels and
start/no-repeat/end semantics, on ``zenith.alerts.<camera>``:

- ``camera_offline`` follows the network service's ``CAMERA_STATUS``
  events: network decides a camera is offline (no upload for
  ``network_offline_after_s``) or online again, once per change; an offline
  event starts the alert, the next online one (or the camera disabled or
  removed) ends it.
- the reading rules (dew risk, high humidity, disk full, sky clear) run on
  every reading of another camera on SENSORS (uploaded readings, and the sky
  metrics capture computes for uploaded frames). A reading older than
  ``sensors_hub_alerts_max_age_s`` (a node catching up after an outage)
  is not judged: its moment has passed.

Two durable pull consumers (``sensors-hub-status``, ``sensors-hub-readings``,
new messages only) feed it, shared by every replica. Each condition's state
(:class:`~.alerts.Tracked`) is a record ``hub.<camera>.<rule>.<sensor>`` in
the ``zenith-sensors`` bucket, changed by compare-and-set: of two replicas
that see the same change exactly one saves it and announces it, and a
restart keeps a started alert, so its end is still announced. A record goes
when its condition is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import APIError, KeyNotFoundError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

from zenith.bus.pull import consume, release
from zenith.contracts import network, sensors
from zenith.timefmt import utcnow
from zenith_sensors.alerts import Deliver, Tracked, condition, send, step
from zenith_sensors.config import AlertRule
from zenith_sensors.tasks import stop_task

log = logging.getLogger("zenith.sensors")

# The rules a hub can judge from what cameras upload (a sensor's failures
# are known only on its node).
HUB_KINDS = frozenset({"dew_risk", "humidity_high", "disk_full", "sky_clear", "camera_offline"})
OFFLINE_SENSOR = "camera"  # the sensor part of an offline alert (as on a node)
STATUS_DURABLE = "sensors-hub-status"
READINGS_DURABLE = "sensors-hub-readings"
KEY_PREFIX = "hub."
CAS_TRIES = 8
WRONG_LAST_SEQUENCE = 10071  # JetStream's error code for a failed compare-and-set


class HubAlerts:
    def __init__(self, js: JetStreamContext, kv: KeyValue, rules: Sequence[AlertRule],
                 deliver: Deliver, own_camera: str, max_age_s: float) -> None:
        self.js = js
        self.kv = kv
        self.rules = [r for r in rules if r.kind in HUB_KINDS]
        self.deliver = deliver
        self.own_camera = own_camera
        self.max_age_s = max_age_s
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._subs: list[JetStreamContext.PullSubscription] = []

    # ---- what happens ------------------------------------------------------------------------

    async def on_status(self, status: network.CameraStatus) -> None:
        silent = (status.changed_at - status.last_upload_at).total_seconds() \
            if status.last_upload_at else 0.0
        holds = not status.online and status.enabled and not status.removed
        if holds:
            since = f"{status.last_upload_at:%Y-%m-%d %H:%M} UTC" if status.last_upload_at \
                else "ever"
            message = f"{status.camera}: no upload since {since}"
        elif status.online:
            message = f"{status.camera}: uploads arrive again"
        else:
            message = f"{status.camera}: {'removed' if status.removed else 'disabled'}"
        for rule in self.rules:
            if rule.kind == "camera_offline":
                # network already waited for the silence: no second wait here
                await self._update(status.camera, rule, OFFLINE_SENSOR, holds,
                                   round(max(silent, 0.0)), message, status.changed_at,
                                   wait=False)

    async def on_reading(self, reading: sensors.Reading) -> None:
        if reading.camera == self.own_camera:
            return  # this service's own camera has its node engine
        if (utcnow() - reading.time).total_seconds() > self.max_age_s:
            return
        for rule in self.rules:
            result = condition(rule, reading)
            if result is not None:
                holds, value, words = result
                await self._update(reading.camera, rule, reading.sensor, holds, value,
                                   f"{reading.camera}: {words}", reading.time)

    async def _update(self, camera: str, rule: AlertRule, sensor: str, holds: bool,
                      value: float, message: str, now: datetime, *, wait: bool = True) -> None:
        key = f"{KEY_PREFIX}{camera}.{rule.name}.{sensor}"
        for _ in range(CAS_TRIES):
            revision, tracked = await self._load(key)
            before = tracked.model_dump()
            alert = step(tracked, camera, rule, sensor, holds, value, message, now, wait=wait)
            if tracked.model_dump() == before:
                return
            try:
                await self._save(key, revision, tracked)
            except KeyWrongLastSequenceError:
                continue  # another replica changed it first: judge again on its record
            if alert is not None:
                await send(self.deliver, alert)
            return
        log.warning("alert state %s: still contended after %d tries", key, CAS_TRIES)

    async def _load(self, key: str) -> tuple[int | None, Tracked]:
        try:
            entry = await self.kv.get(key)
        except (KeyNotFoundError, NotFoundError):
            return None, Tracked()
        revision = entry.revision
        if not entry.value:
            return revision, Tracked()  # deleted
        try:
            return revision, Tracked.model_validate_json(entry.value)
        except ValueError:
            log.warning("alert state %s unreadable, starting afresh", key)
            return revision, Tracked()

    async def _save(self, key: str, revision: int | None, tracked: Tracked) -> None:
        """Save by compare-and-set; KeyWrongLastSequenceError when another was first."""
        try:
            if tracked.since is None and tracked.alert is None:
                if revision is not None:
                    await self.kv.delete(key, last=revision)
            elif revision is None:
                await self.kv.create(key, tracked.model_dump_json().encode())
            else:
                await self.kv.update(key, tracked.model_dump_json().encode(), last=revision)
        except APIError as exc:
            if exc.err_code == WRONG_LAST_SEQUENCE:
                raise KeyWrongLastSequenceError() from exc
            raise

    # ---- running -----------------------------------------------------------------------------

    async def start(self) -> None:
        status = await self._consumer(network.CAMERA_STATUS.stream, STATUS_DURABLE,
                                      network.CAMERA_STATUS.wildcard(),
                                      "sensors: cameras going offline, for hub alerts")
        readings = await self._consumer(sensors.SENSOR_READING.stream, READINGS_DURABLE,
                                        sensors.SENSOR_READING.wildcard(),
                                        "sensors: uploaded readings, for hub alerts")
        self._tasks = [
            asyncio.create_task(consume(status, self._stop, self.on_status, "hub status",
                                        model=network.CameraStatus), name="sensors-hub-status"),
            asyncio.create_task(consume(readings, self._stop, self.on_reading, "hub readings",
                                        model=sensors.Reading, batch=64),
                                name="sensors-hub-readings"),
        ]
        log.info("hub alerts: %d rules for every uploading camera", len(self.rules))

    async def _consumer(self, stream: str, durable: str, subject: str, description: str
                        ) -> JetStreamContext.PullSubscription:
        config = ConsumerConfig(durable_name=durable, description=description,
                                filter_subject=subject, ack_policy=AckPolicy.EXPLICIT,
                                deliver_policy=DeliverPolicy.NEW, ack_wait=30,
                                max_ack_pending=1000)
        with contextlib.suppress(Exception):  # exists already (another replica): bind it
            await self.js.add_consumer(stream, config)
        sub = await self.js.pull_subscribe_bind(durable=durable, stream=stream)
        self._subs.append(sub)
        return sub

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            await stop_task(task)
        self._tasks = []
        for sub in self._subs:  # before the drain (see zenith.bus.pull.release)
            await release(sub)
        self._subs = []

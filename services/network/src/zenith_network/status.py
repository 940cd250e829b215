"""Online status: live frames make a camera online, silence makes it offline.

A durable pull consumer (``network-status``) on FRAMES notes each frame's
time as the camera's last upload; a timer marks cameras offline once no
frame came for ``network_offline_after_s``. Each transition is written by
compare-and-set (:meth:`Registry.seen`, :meth:`Registry.went_silent`), so
of several replicas exactly one publishes it on ``network.CAMERA_STATUS``
(``Nats-Msg-Id`` = camera, state and time: a retried publish is one event).
A redelivered frame changes nothing: the last upload only moves forward.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from zenith.bus.pull import consume
from zenith.contracts import network as c
from zenith.contracts.frames import FRAME_CAPTURED, FrameCaptured
from zenith.timefmt import to_iso
from zenith_network.registry import Registry, status_of

log = logging.getLogger("zenith.network.status")

DURABLE = "network-status"
BATCH = 200


async def publish_status(js: JetStreamContext, camera: c.Camera, *,
                         removed: bool = False) -> None:
    status = status_of(camera, removed=removed)
    msg_id = f"{status.camera}:{status.online}:{status.removed}:{to_iso(status.changed_at)}"
    try:
        await js.publish(c.CAMERA_STATUS.subject_for(camera=camera.id),
                         status.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id},
                         timeout=5)
    except Exception as exc:  # the registry holds the state; the event is a notice
        log.warning("could not publish the status of %s: %s", camera.id, exc)


async def open_frames_consumer(js: JetStreamContext) -> JetStreamContext.PullSubscription:
    stream = FRAME_CAPTURED.stream
    try:
        await js.consumer_info(stream, DURABLE)
    except NotFoundError:
        await js.add_consumer(stream, ConsumerConfig(
            name=DURABLE, durable_name=DURABLE, description="network: cameras' last upload",
            filter_subject=FRAME_CAPTURED.wildcard(), ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.NEW, ack_wait=30, max_ack_pending=10000))
    return await js.pull_subscribe_bind(durable=DURABLE, stream=stream)


class StatusTracker:
    def __init__(self, registry: Registry, js: JetStreamContext, offline_after_s: float,
                 check_every_s: float) -> None:
        self.registry = registry
        self.js = js
        self.offline_after_s = offline_after_s
        self.check_every_s = check_every_s

    async def on_frame(self, data: bytes) -> None:
        try:
            frame = FrameCaptured.model_validate(json.loads(data))
        except (ValueError, ValidationError) as exc:
            log.warning("ignoring a malformed frame event: %s", exc)
            return
        seen = await self.registry.seen(frame.camera, frame.taken_at, self.offline_after_s)
        if seen is not None and seen[1]:
            log.info("camera %s is online", frame.camera)
            await publish_status(self.js, seen[0])

    async def check_silence(self) -> int:
        changed = await self.registry.went_silent(self.offline_after_s)
        for camera in changed:
            log.info("camera %s is offline (no frame since %s)", camera.id,
                     camera.last_upload_at)
            await publish_status(self.js, camera)
        return len(changed)

    async def follow_frames(self, sub: JetStreamContext.PullSubscription,
                            stop: asyncio.Event) -> None:
        await consume(sub, stop, self.on_frame, "frames", batch=BATCH)

    async def watch_silence(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.check_silence()
            except Exception as exc:
                log.warning("offline check failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.check_every_s)

"""The uplink: a node sends its live frames, final products, readings and meteor
candidates to its hub.

Four durable pull consumers on the node's own streams, one per kind, each
worked strictly in stream order by one loop:

- ``uplink-frames`` (FRAMES, this camera): a live frame at most every
  ``network_uplink_frame_every_s`` (the frames between are skipped); a frame
  whose turn comes when it is older than ``network_uplink_max_frame_age_s``
  is dropped and counted, so a long outage does not end in hours of stale
  uploads;
- ``uplink-products`` (PRODUCTS): every final keogram, startrails and
  timelapse; never dropped;
- ``uplink-readings`` (SENSORS): readings in batches of ``network_uplink_batch``;
- ``uplink-meteors`` (METEORS): every meteor candidate capture saved, with its
  crop, marked and difference JPEGs, and every withdrawal (the hub removes the
  candidate); never dropped.

A message is acknowledged only after the hub answered 2xx, so an outage of
any length loses nothing: the loop retries the same message (backing off up
to ``network_uplink_retry_max_s``) and then catches up in order. Each
request carries an ``Idempotency-Key`` made from the event (frame id,
product id, stream sequences), so a retry after a lost answer is a
duplicate on the hub, not a second copy. A 4xx answer (other than 429) is
final for that message: it is logged, counted as an error and skipped.

The backlog is the node's streams, whose limits are in
``zenith.contracts.streams``.

What the camera's owner chose on the hub for the node (``ingest.NodeConfig``:
the sensors switched off) comes in every readings batch's answer and from
``GET {prefix}/{camera}/config``, asked every
``network_uplink_config_every_s``; a change is sent to the node's sensors
service (``sensors.DISABLED_SET``), which stops reading those sensors. If
the sensors service does not answer, the next answer tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from zenith.bus.client import BusClient
from zenith.bus.pull import release
from zenith.contracts import capture, ingest, network, products, sensors
from zenith.contracts.frames import FRAME_CAPTURED, FrameCaptured
from zenith.errors import ZenithError
from zenith.storage.blob import BlobStore
from zenith.timefmt import utcnow
from zenith_network.settings import NetworkSettings

log = logging.getLogger("zenith.network.uplink")


class Retry(Exception):
    """The hub did not take it (down, 5xx, 429): try the same message again."""


class Rejected(Exception):
    """The hub refused it for good (4xx): skip it."""


def _kinds() -> tuple[str, ...]:
    return tuple(ingest.ZENITH_KINDS)


class Lane:
    """One consumer and its counters."""

    def __init__(self, name: str, stream: str, subject: str) -> None:
        self.name = name
        self.stream = stream
        self.subject = subject
        self.sent = 0
        self.dropped = 0
        self.last_success_at: datetime | None = None
        self.sub: JetStreamContext.PullSubscription | None = None

    async def open(self, js: JetStreamContext) -> JetStreamContext.PullSubscription:
        durable = f"uplink-{self.name}"
        try:
            await js.consumer_info(self.stream, durable)
        except NotFoundError:
            await js.add_consumer(self.stream, ConsumerConfig(
                name=durable, durable_name=durable, description=f"uplink: {self.name}",
                filter_subject=self.subject, ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL, ack_wait=600, max_ack_pending=1000,
                max_deliver=-1))
        self.sub = await js.pull_subscribe_bind(durable=durable, stream=self.stream)
        return self.sub

    async def status(self, js: JetStreamContext) -> network.UplinkQueue:
        pending = 0
        with contextlib.suppress(Exception):
            info = await js.consumer_info(self.stream, f"uplink-{self.name}")
            pending = int(info.num_pending or 0) + int(info.num_ack_pending or 0)
        return network.UplinkQueue(pending=pending, sent=self.sent, dropped=self.dropped,
                                   last_success_at=self.last_success_at)


class Uplink:
    def __init__(self, settings: NetworkSettings, js: JetStreamContext,
                 blobs: BlobStore, bus: BusClient | None = None) -> None:
        self.settings = settings
        self.bus = bus
        self.applied: list[str] | None = None  # sensors switched off, as the node confirmed
        self._applying = asyncio.Lock()
        self.js = js
        self.blobs = blobs
        self.camera = settings.camera
        self.base = settings.network_hub_url.rstrip("/") + ingest.ZENITH_PREFIX + \
            f"/{self.camera}"
        key = settings.network_hub_key
        self.key = key.get_secret_value() if key else ""
        self.frames = Lane("frames", FRAME_CAPTURED.stream,
                           FRAME_CAPTURED.subject_for(camera=self.camera))
        self.products = Lane("products", products.PRODUCT_READY.stream,
                             products.PRODUCT_READY.wildcard(camera=self.camera))
        self.readings = Lane("readings", sensors.SENSOR_READING.stream,
                             sensors.SENSOR_READING.wildcard(camera=self.camera))
        self.meteors = Lane("meteors", capture.METEOR_CHANGED.stream,
                            capture.METEOR_CHANGED.wildcard(camera=self.camera))
        self.last_frame_sent: datetime | None = None
        self.last_success_at: datetime | None = None
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self._session: aiohttp.ClientSession | None = None

    # --- status ------------------------------------------------------------------------

    async def status(self) -> network.UplinkStatus:
        return network.UplinkStatus(
            enabled=True, hub_url=self.settings.network_hub_url,
            frames=await self.frames.status(self.js),
            products=await self.products.status(self.js),
            readings=await self.readings.status(self.js),
            meteors=await self.meteors.status(self.js),
            last_success_at=self.last_success_at, last_error=self.last_error,
            last_error_at=self.last_error_at)

    # --- HTTP --------------------------------------------------------------------------

    async def _post(self, path: str, idem: str, *, data: aiohttp.FormData | None = None,
                    json_body: Any = None, method: str = "POST") -> dict[str, Any]:
        assert self._session is not None
        headers = {"X-API-Key": self.key, "Idempotency-Key": idem}
        try:
            async with self._session.request(method, self.base + path, data=data,
                                             json=json_body, headers=headers) as resp:
                text = await resp.text()
                if resp.status == 429 or resp.status >= 500:
                    raise Retry(f"hub answered {resp.status}: {text[:200]}")
                if resp.status >= 400:
                    raise Rejected(f"hub refused ({resp.status}): {text[:200]}")
                return dict(json.loads(text or "{}"))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise Retry(f"hub not reachable: {exc or type(exc).__name__}") from None

    def _succeeded(self, lane: Lane, count: int = 1) -> None:
        now = utcnow()
        lane.sent += count
        lane.last_success_at = self.last_success_at = now

    def _failed(self, message: str) -> None:
        self.last_error, self.last_error_at = message, utcnow()

    # --- what each lane sends ------------------------------------------------------------

    async def send_frame(self, data: bytes) -> None:
        frame = FrameCaptured.model_validate_json(data)
        now = utcnow()
        if (now - frame.taken_at).total_seconds() > self.settings.network_uplink_max_frame_age_s:
            self.frames.dropped += 1
            return
        every = self.settings.network_uplink_frame_every_s
        if self.last_frame_sent is not None and every > 0 and \
                frame.taken_at < self.last_frame_sent + timedelta(seconds=every):
            return  # not its turn: the next live frame goes
        jpeg = await self.blobs.aread_bytes(frame.key)
        meta = ingest.FrameMeta(
            taken_at=frame.taken_at, exposure_s=frame.exposure_s, gain=frame.gain,
            night=frame.night, metrics={k: float(v) for k, v in {
                "mean": frame.mean, "stars": frame.stars, "sqm": frame.sqm,
                "hfr": frame.hfr, "cloud_cover": frame.cloud_cover,
                "sun_altitude": frame.sun_altitude}.items() if v is not None})
        form = aiohttp.FormData()
        form.add_field("meta", meta.model_dump_json())
        form.add_field("frame", jpeg, filename="frame.jpg", content_type="image/jpeg")
        await self._post("/frames", frame.frame_id, data=form)
        self.last_frame_sent = frame.taken_at
        self._succeeded(self.frames)

    async def send_product(self, data: bytes) -> None:
        ready = products.ProductReady.model_validate_json(data)
        if not ready.final or ready.kind not in _kinds():
            return
        body = await self.blobs.aread_bytes(ready.key)
        thumb = await self.blobs.aread_bytes(ready.thumb_key) if ready.thumb_key and \
            self.blobs.exists(ready.thumb_key) else None
        if thumb is None:
            raise Rejected(f"{ready.kind} of {ready.night} has no thumbnail")
        form = aiohttp.FormData()
        form.add_field("kind", ready.kind)
        form.add_field("night", ready.night)
        name = ready.key.rsplit("/", 1)[-1]
        form.add_field("file", body, filename=name, content_type=ready.content_type)
        form.add_field("thumb", thumb, filename="thumb.jpg", content_type="image/jpeg")
        await self._post("/products", products.product_id(ready.camera, ready.night,
                                                           ready.kind).replace(":", "."),
                         data=form)
        self._succeeded(self.products)

    async def send_meteor(self, data: bytes) -> None:
        change = capture.MeteorChanged.model_validate_json(data)
        doc_id = capture.meteor_id(self.camera, change.night, change.candidate_id)
        if change.change == "withdrawn":
            await self._post(f"/meteors/{change.night}/{change.candidate_id}",
                             f"{doc_id}:withdrawn", method="DELETE")
            self._succeeded(self.meteors)
            return
        if change.record is None:
            raise Rejected(f"meteor candidate {change.candidate_id} has no record")
        form = aiohttp.FormData()
        meta = ingest.MeteorMeta(night=change.night, candidate_id=change.candidate_id,
                                 record=change.record)
        form.add_field("meta", meta.model_dump_json())
        for part in ingest.ZENITH_METEOR_PARTS:
            key = change.parts.get(part)
            if key is None or not self.blobs.exists(key):
                raise Rejected(f"meteor candidate {change.candidate_id} has no {part} image")
            form.add_field(part, await self.blobs.aread_bytes(key), filename=f"{part}.jpg",
                           content_type="image/jpeg")
        await self._post("/meteors", doc_id, data=form)
        self._succeeded(self.meteors)

    async def send_readings(self, msgs: list[Any]) -> None:
        batch = []
        for msg in msgs:
            try:
                r = sensors.Reading.model_validate_json(msg.data)
            except ValidationError:
                continue
            batch.append(ingest.NodeReading(sensor=r.sensor, measurement=r.measurement,
                                            time=r.time, fields=r.fields,
                                            tags={k: v for k, v in r.tags.items()
                                                  if k != "camera"}).model_dump(mode="json"))
        if not batch:
            return
        first, last = msgs[0].metadata.sequence.stream, msgs[-1].metadata.sequence.stream
        answer = await self._post("/readings", f"r-{first}-{last}",
                                  json_body={"readings": batch})
        self._succeeded(self.readings, len(batch))
        if "disabled_sensors" in answer:
            await self.apply_config(answer)

    # --- the owner's choices on the hub ---------------------------------------------------

    async def apply_config(self, answer: dict[str, Any]) -> None:
        """Send the hub's sensors switched off to the node's sensors service, if changed."""
        try:
            config = ingest.NodeConfig.model_validate(
                {"disabled_sensors": answer.get("disabled_sensors", [])})
        except ValidationError as exc:
            log.warning("uplink: the hub's configuration is not understood: %s", exc)
            return
        wanted = sorted(set(config.disabled_sensors))
        async with self._applying:  # the config poll and the readings lane
            if wanted == self.applied or self.bus is None:
                return
            try:
                await self.bus.request(sensors.DISABLED_SET, {"disabled": wanted},
                                       camera=self.camera)
            except ZenithError as exc:
                log.warning("uplink: sensors switched off on the hub (%s) not applied: %s",
                            ", ".join(wanted) or "none", exc.message)
                return
            self.applied = wanted
        log.info("uplink: sensors switched off by the hub: %s", ", ".join(wanted) or "none")

    async def fetch_config(self) -> None:
        answer = await self._post("/config", "config", method="GET")
        await self.apply_config(answer)

    async def _config_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.fetch_config()
            except (Retry, Rejected) as exc:
                log.info("uplink: the hub's configuration: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.network_uplink_config_every_s)

    # --- loops ---------------------------------------------------------------------------

    async def _with_retry(self, work: Callable[[], Awaitable[None]], stop: asyncio.Event,
                          what: str) -> bool:
        """Run ``work`` until the hub took it (True) or refused it for good (False)."""
        delay = 0.5
        while not stop.is_set():
            try:
                await work()
                return True
            except Rejected as exc:
                log.warning("uplink %s skipped: %s", what, exc)
                self._failed(str(exc))
                return False
            except Retry as exc:
                self._failed(str(exc))
                log.info("uplink %s: %s (again in %.1f s)", what, exc, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, self.settings.network_uplink_retry_max_s)
        return False

    async def _lane(self, lane: Lane, batch: int, stop: asyncio.Event,
                    handle: Callable[[list[Any]], Awaitable[None]]) -> None:
        assert lane.sub is not None
        try:
            await self._lane_loop(lane, batch, stop, handle)
        finally:
            await release(lane.sub)

    async def _lane_loop(self, lane: Lane, batch: int, stop: asyncio.Event,
                         handle: Callable[[list[Any]], Awaitable[None]]) -> None:
        assert lane.sub is not None
        while not stop.is_set():
            try:
                msgs = await lane.sub.fetch(batch, timeout=1)
            except NatsTimeout:
                continue
            except Exception as exc:
                if stop.is_set():
                    break
                log.warning("uplink %s consumer: %s", lane.name, exc)
                await asyncio.sleep(1)
                continue
            groups = [msgs] if batch > 1 else [[m] for m in msgs]
            for group in groups:
                started = time.monotonic()
                done = await self._with_retry(functools.partial(handle, group), stop,
                                              lane.name)
                if not done and stop.is_set():
                    return  # not acknowledged: sent again after the restart
                for msg in group:
                    with contextlib.suppress(Exception):
                        await msg.ack()
                log.debug("uplink %s: %d in %.3f s", lane.name, len(group),
                          time.monotonic() - started)

    async def start(self, stack: contextlib.AsyncExitStack) -> None:
        timeout = aiohttp.ClientTimeout(total=self.settings.network_uplink_timeout_s)
        self._session = aiohttp.ClientSession(timeout=timeout)
        stack.push_async_callback(self._session.close)
        for lane in (self.frames, self.products, self.readings, self.meteors):
            await lane.open(self.js)
        stop = asyncio.Event()

        async def one(msgs: list[Any], send: Callable[[bytes], Awaitable[None]]) -> None:
            await send(msgs[0].data)

        tasks = [
            asyncio.create_task(self._lane(self.frames, 1, stop,
                                           lambda m: one(m, self.send_frame)),
                                name="uplink-frames"),
            asyncio.create_task(self._lane(self.products, 1, stop,
                                           lambda m: one(m, self.send_product)),
                                name="uplink-products"),
            asyncio.create_task(self._lane(self.readings, self.settings.network_uplink_batch,
                                           stop, self.send_readings),
                                name="uplink-readings"),
            asyncio.create_task(self._lane(self.meteors, 1, stop,
                                           lambda m: one(m, self.send_meteor)),
                                name="uplink-meteors"),
            asyncio.create_task(self._config_loop(stop), name="uplink-config"),
        ]

        async def stop_all() -> None:
            stop.set()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, 15)

        stack.push_async_callback(stop_all)
        log.info("uplink to %s for camera %s", self.settings.network_hub_url, self.camera)

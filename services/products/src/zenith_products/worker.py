"""One camera's worker: frames in stream order -> products, checkpointed.

While it holds the camera's lease, the worker pulls frame events from the
camera's consumer, applies each (decoded once) to the open night, and
every ``checkpoint_frames`` frames or ``checkpoint_s`` seconds writes a
checkpoint, commits it (a compare-and-set of the lease record naming the
checkpoint and the last stream sequence it covers) and only then acks the
events. A restart resumes from the committed checkpoint; the consumer is
re-created right after that sequence, so nothing is applied twice and
nothing is skipped. Frame ids applied during the night are part of the
checkpoint, so a duplicate event (same frame_id) adds nothing either.

The night ends at the first day frame (``is_night`` false) after night
frames, at the first frame of a later night, or, for a camera that went
silent, once the sun has risen above the angle at the camera's own site (ephem, on
the camera's clock: last event time plus the silence since).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.kv import KeyValue
from pydantic import ValidationError

from zenith.bus.pull import release
from zenith.contracts.frames import FrameCaptured
from zenith.contracts.products import work_prefix
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore
from zenith_products import night_render
from zenith_products.artifact import Artifact
from zenith_products.config import NightConfig
from zenith_products.consumer import open_consumer
from zenith_products.decode import Decoded, load_frame
from zenith_products.errors import BadFrame
from zenith_products.lease import FINISHED_KEPT, CameraLease, LeaseLost
from zenith_products.longterm import LongTerm
from zenith_products.metrics import CHECKPOINTS, FRAME_SECONDS, NIGHTS, count_frame
from zenith_products.night import NightBuilder
from zenith_products.publisher import Publisher
from zenith_products.settings import ProductsSettings
from zenith_products.sites import Site, Sites
from zenith_products.sun import sunrise_after
from zenith_products.work import WorkDir

log = logging.getLogger("zenith.products.worker")
FETCH_TIMEOUT_S = 1.0


@dataclass
class Env:
    """What every camera worker of a process shares."""

    settings: ProductsSettings
    js: JetStreamContext
    kv: KeyValue
    meta: MetadataStore
    blobs: BlobStore
    publisher: Publisher
    sites: Sites | None = None  # each camera's own site (a hub); None: the settings'


def _load_or_none(blobs: BlobStore, key: str) -> Decoded | None:
    try:
        return load_frame(blobs, key)
    except BadFrame:
        return None


class CameraWorker:
    def __init__(self, env: Env, lease: CameraLease) -> None:
        self.env = env
        self.s = env.settings
        self.lease = lease
        self.camera = lease.camera
        self.builder: NightBuilder | None = None
        self.pending: list[Msg] = []
        self.pending_since: float | None = None
        self.seq = 0
        self.since_refresh = 0  # frames since the products were last written
        self.since_mini = 0
        self.mini_art: Artifact | None = None  # the mini-timelapse written last
        self.backlog = 0  # frame events still waiting behind the last one handled
        self.last_at: float | None = None
        self.received_at: float | None = None
        self._deadline: tuple[float, float] | None = None  # (last_at, sunrise)
        self._last_tick = 0.0
        self._stop = asyncio.Event()
        self._sub: JetStreamContext.PullSubscription | None = None

    # -- lifecycle -----------------------------------------------------
    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        try:
            await self._resume()
            while not self._stop.is_set():
                try:
                    msgs = await self._sub.fetch(self.s.products_checkpoint_frames,  # type: ignore[union-attr]
                                                 timeout=FETCH_TIMEOUT_S)
                except TimeoutError:  # nats' own and asyncio's (a batch cut short)
                    msgs = []
                for msg in msgs:
                    await self._handle(msg)
                    if self.lease.lost:
                        raise LeaseLost(self.camera)
                    await self._maybe_checkpoint()
                await self._maybe_checkpoint()
                await self._maybe_timer()
            if self.builder is not None:
                await asyncio.to_thread(self.builder.seal)
            await self._checkpoint(force=True)
        except LeaseLost:
            log.warning("%s: lease lost to another worker; stopping without a checkpoint",
                        self.camera)
        finally:
            if self.builder is not None:
                self.builder.close()
            await release(self._sub)

    async def _resume(self) -> None:
        rec = self.lease.record
        self.seq = rec.seq
        self.last_at, self.received_at = rec.last_at, rec.received_at
        if rec.night and rec.state:
            work = self._work(rec.night)
            try:
                state = json.loads(await asyncio.to_thread(work.read, rec.state))
                builder = await asyncio.to_thread(
                    NightBuilder.restore, state, work, self.env.blobs,
                    lambda key: _load_or_none(self.env.blobs, key))
            except Exception:
                log.exception("%s: checkpoint %s of night %s is unreadable; the night "
                              "continues from the next frame", self.camera, rec.state, rec.night)
                builder = None
            else:
                assert builder is not None
                await asyncio.to_thread(work.clean_temp)
                await asyncio.to_thread(work.prune, builder.references() | {rec.state})
                log.info("%s: resumed night %s at %d frames (stream seq %d)", self.camera,
                         rec.night, builder.frames, rec.seq)
            self.builder = builder
        self._sub = await open_consumer(
            self.env.js, self.camera, rec.seq, ack_wait=self.s.products_ack_wait_s,
            max_ack_pending=max(100, 4 * self.s.products_checkpoint_frames))

    def _work(self, night: str) -> WorkDir:
        return WorkDir(self.env.blobs, work_prefix(self.camera, night), self.lease.token)

    # -- frames --------------------------------------------------------
    def _done(self, msg: Msg, seq: int) -> None:
        self.pending.append(msg)
        self.seq = seq
        if self.pending_since is None:
            self.pending_since = time.monotonic()

    async def _handle(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        self.backlog = msg.metadata.num_pending or 0
        if seq <= self.seq:
            count_frame(self.camera, "redelivered")
            await msg.ack()
            return
        started = time.perf_counter()
        try:
            event = FrameCaptured.model_validate_json(msg.data)
            if event.camera != self.camera:
                raise ValueError(f"event for camera {event.camera} on {self.camera}'s subject")
        except (ValidationError, ValueError) as exc:
            count_frame(self.camera, "invalid")
            log.warning("%s: invalid frame event at seq %d skipped: %s", self.camera, seq,
                        str(exc).splitlines()[0])
            self._done(msg, seq)
            return
        try:
            await self._apply(event)
        except LeaseLost:
            raise
        except Exception:
            count_frame(self.camera, "error")
            log.exception("%s: frame %s could not be applied; skipped", self.camera,
                          event.frame_id)
        self._done(msg, seq)
        FRAME_SECONDS.observe(time.perf_counter() - started)

    async def _apply(self, event: FrameCaptured) -> None:
        b = self.builder
        finished = self.lease.record.finished
        if not event.is_night:
            if b is not None and b.frames:
                await self._finish("sunrise")
            count_frame(self.camera, "day")
            return
        if b is not None and event.night != b.night:
            if event.night < b.night:
                count_frame(self.camera, "late")
                log.info("%s: frame %s of past night %s skipped", self.camera,
                         event.frame_id, event.night)
                return
            await self._finish("next-night")
            b = None
        if b is None:
            if event.night in finished or (finished and event.night < max(finished)):
                count_frame(self.camera, "late")
                log.info("%s: frame %s of finished night %s skipped", self.camera,
                         event.frame_id, event.night)
                return
            b = self.builder = NightBuilder(self.camera, event.night,
                                            NightConfig.from_settings(self.s),
                                            self._work(event.night), self.env.blobs)
            self._deadline = None
        if b.has(event.frame_id):
            count_frame(self.camera, "duplicate")
            log.info("%s: duplicate frame %s skipped", self.camera, event.frame_id)
            return
        try:
            decoded = await asyncio.to_thread(load_frame, self.env.blobs, event.key)
        except BadFrame as exc:
            count_frame(self.camera, exc.reason)
            b.bad[exc.reason] += 1
            log.warning("%s: frame %s skipped: %s", self.camera, event.frame_id, exc.message)
            return
        resized = b.resized
        try:
            await asyncio.to_thread(b.add, event.frame_id, event.key,
                                    event.taken_at.timestamp(), decoded)
        finally:
            decoded.release()
        del decoded
        count_frame(self.camera, "applied")
        if b.resized != resized:
            count_frame(self.camera, "resized")
        self.last_at = event.taken_at.timestamp()
        self.received_at = time.time()
        self.since_refresh += 1
        self.since_mini += 1
        # refreshed every M frames; while frames are queued behind this one (a
        # backlog, or the day frame that ends the night) the refresh waits
        if b.mini_on and self.since_mini >= self.s.products_mini_every and not self.backlog:
            self.since_mini = 0
            snap = b.snapshot(["mini-timelapse"])
            arts = await asyncio.to_thread(night_render.render, snap, False)
            self.mini_art = arts[0] if arts else self.mini_art
            await self.env.publisher.publish(self.camera, list(arts))

    # -- checkpoints ---------------------------------------------------
    async def _maybe_checkpoint(self) -> None:
        if not self.pending:
            return
        if (len(self.pending) >= self.s.products_checkpoint_frames or self._refresh_due()
                or time.monotonic() - (self.pending_since or 0) >= self.s.products_checkpoint_s):
            await self._checkpoint()

    def _refresh_due(self) -> bool:
        """The night's products are rewritten every K frames, when no frame
        is queued behind (a backlog is worked off first)."""
        refresh = self.s.products_refresh_frames
        return bool(refresh and self.builder is not None and self.builder.frames
                    and self.since_refresh >= refresh and not self.backlog)

    async def _checkpoint(self, force: bool = False) -> None:
        if not self.pending and not force:
            return
        b = self.builder
        arts = []
        if b is not None and self._refresh_due():
            snap = await asyncio.to_thread(b.snapshot, set(b.kinds) - {"mini-timelapse"})
            arts = await asyncio.to_thread(night_render.render, snap, False)
            self.since_refresh = 0
        if b is not None:
            name = await asyncio.to_thread(b.checkpoint)
            await self.lease.update(night=b.night, state=name, seq=self.seq, frames=b.frames,
                                    last_at=self.last_at, received_at=self.received_at)
            await asyncio.to_thread(b.work.prune, b.references())
        else:
            await self.lease.update(night=None, state=None, seq=self.seq, frames=0)
        await self._ack_pending()
        CHECKPOINTS.labels(self.camera).inc()
        if arts:
            await self.env.publisher.publish(self.camera, list(arts))

    async def _ack_pending(self) -> None:
        for msg in self.pending:
            with contextlib.suppress(Exception):
                await msg.ack()
        self.pending = []
        self.pending_since = None

    # -- end of night --------------------------------------------------
    async def _maybe_timer(self) -> None:
        b = self.builder
        if b is None or not b.frames or self.last_at is None or self.received_at is None:
            return
        if time.monotonic() - self._last_tick < self.s.products_tick_s:
            return
        self._last_tick = time.monotonic()
        silence = time.time() - self.received_at
        if silence < self.s.products_finalise_grace_s:
            return
        if self._deadline is None or self._deadline[0] != self.last_at:
            s = self.s
            site = (await self.env.sites.site(self.camera) if self.env.sites is not None
                    else Site(s.latitude, s.longitude, s.elevation))
            sunrise = await asyncio.to_thread(sunrise_after, self.last_at, site.latitude,
                                              site.longitude, site.elevation,
                                              s.products_sun_angle)
            self._deadline = (self.last_at, sunrise)
        if self.last_at + silence >= self._deadline[1]:
            log.info("%s: no frame for %.0f s and the sun is up: night %s ends", self.camera,
                     silence, b.night)
            await self._finish("timer")

    async def _finish(self, trigger: str) -> None:
        """Write the night's final products, announce them, update the
        monthly/yearly ones, then close the night in the lease record."""
        b = self.builder
        if b is None:
            return
        started = time.perf_counter()
        snap = await asyncio.to_thread(b.snapshot)
        arts = await asyncio.to_thread(night_render.render, snap, True, [self.mini_art])
        await self.env.publisher.publish(self.camera, list(arts))
        longterm = LongTerm(self.camera, b.config, self.env.blobs)
        lt_arts = await asyncio.to_thread(longterm.update, snap)
        await self.env.publisher.publish(self.camera, list(lt_arts))
        finished = [*self.lease.record.finished, b.night][-FINISHED_KEPT:]
        await self.lease.update(night=None, state=None, seq=self.seq, frames=0,
                                finished=finished)
        await self._ack_pending()
        b.close()
        await asyncio.to_thread(b.work.remove_all)
        self.builder = None
        self.mini_art = None
        self.since_refresh = self.since_mini = 0
        NIGHTS.labels(self.camera, trigger).inc()
        log.info("%s: night %s finished (%s, %d frames) in %.2f s", self.camera, b.night,
                 trigger, b.frames, time.perf_counter() - started)

"""Share cameras between products workers: discovery, leases, fair share.

Every worker process runs one supervisor. It announces itself with a
heartbeat key (``worker.<id>`` in the ``zenith-products`` bucket), lists
the cameras that have frames in the FRAMES stream, and takes the lease of
free (or expired) cameras while it holds fewer than its fair share,
``ceil(cameras / live workers)``; above its share it hands one camera back
(after a checkpoint), so a new replica gets work within a discovery round.
Leases are renewed every third of their lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time

from nats.js.errors import KeyNotFoundError

from zenith_products.consumer import cameras_in_stream
from zenith_products.lease import CameraLease, LeaseLost
from zenith_products.metrics import CAMERAS
from zenith_products.worker import CameraWorker, Env

log = logging.getLogger("zenith.products.supervisor")
WORKER_PREFIX = "worker."
MAX_COOLDOWN_S = 60.0  # a camera whose worker keeps failing is retried ever more slowly
HEALTHY_S = 120.0  # a worker that ran this long resets the camera's failure count
STALE_WORKER_S = 3600.0


class Supervisor:
    def __init__(self, env: Env, worker_id: str) -> None:
        self.env = env
        self.worker_id = worker_id
        self.ttl = env.settings.products_lease_ttl_s
        self.workers: dict[str, tuple[CameraWorker, asyncio.Task[None]]] = {}
        self.cooldown: dict[str, float] = {}
        self.failures: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self) -> None:
        await self._heartbeat()
        self._tasks = [asyncio.create_task(self._discover_loop(), name="products-discover"),
                       asyncio.create_task(self._renew_loop(), name="products-renew")]

    async def stop(self) -> None:
        """Checkpoint and release every camera, then stop."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await asyncio.gather(*(self._drop(c) for c in list(self.workers)),
                             return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.env.kv.delete(WORKER_PREFIX + self.worker_id)

    # -- loops ---------------------------------------------------------
    async def _discover_loop(self) -> None:
        while True:
            try:
                await self.discover()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("camera discovery failed; trying again")
            await asyncio.sleep(self.env.settings.products_discover_interval_s)

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            with contextlib.suppress(Exception):
                await self._heartbeat()
            for camera, (worker, _) in list(self.workers.items()):
                try:
                    await worker.lease.update()
                except LeaseLost:
                    log.warning("%s: lease lost; stopping its worker", camera)
                    worker.stop()
                except Exception as exc:  # NATS unavailable: retry next round
                    log.warning("%s: lease renewal failed: %s", camera, exc)

    async def _heartbeat(self) -> None:
        value = json.dumps({"expires_at": time.time() + self.ttl}).encode()
        await self.env.kv.put(WORKER_PREFIX + self.worker_id, value)

    async def _worker_keys(self) -> list[str]:
        """Heartbeat keys in the bucket, from its stream's subjects: unlike a
        KV watch (an ordered consumer per call, which outlives its
        unsubscribe for minutes) this leaves nothing behind on the server, so
        frequent discovery rounds cannot run into the consumer limit."""
        status = await self.env.kv.status()
        prefix = f"$KV.{status.bucket}."
        info = await self.env.js.stream_info(status.stream_info.config.name or "",
                                             subjects_filter=prefix + WORKER_PREFIX + "*")
        return sorted(s[len(prefix):] for s in (info.state.subjects or {}))

    async def live_workers(self) -> int:
        now = time.time()
        live = {self.worker_id}
        gone = []
        for key in await self._worker_keys():
            try:
                entry = await self.env.kv.get(key)
            except KeyNotFoundError:  # deleted
                continue
            try:
                expires = float(json.loads(entry.value or b"{}")["expires_at"])
            except (ValueError, KeyError, TypeError):
                expires = 0.0
            if expires > now:
                live.add(key[len(WORKER_PREFIX):])
            elif expires < now - STALE_WORKER_S:
                gone.append(key)
        for key in gone:  # heartbeats of workers long dead (each restart is a new id)
            with contextlib.suppress(Exception):
                await self.env.kv.delete(key)
        return len(live)

    # -- cameras -------------------------------------------------------
    async def discover(self) -> None:
        """One round: reap finished workers, take or hand back cameras."""
        for camera, (_, task) in list(self.workers.items()):
            if task.done():
                await self._reap(camera)
        if self._stopping:
            return
        cameras = await cameras_in_stream(self.env.js)
        if not cameras:
            return
        share = math.ceil(len(cameras) / await self.live_workers())
        now = time.monotonic()
        for camera in cameras:
            if len(self.workers) >= share:
                break
            if camera in self.workers or self.cooldown.get(camera, 0) > now:
                continue
            lease = CameraLease(self.env.kv, camera, self.worker_id, self.ttl)
            try:
                taken = await lease.acquire()
            except KeyNotFoundError:
                taken = False
            if taken:
                self._start(lease)
        if len(self.workers) > share:
            camera = next(reversed(self.workers))
            log.info("%s: handing the camera over (share %d, holding %d)", camera, share,
                     len(self.workers))
            await self._drop(camera)
            self.cooldown[camera] = time.monotonic() + 2 * self.env.settings.\
                products_discover_interval_s

    def _start(self, lease: CameraLease) -> None:
        worker = CameraWorker(self.env, lease)
        task = asyncio.create_task(worker.run(), name=f"products-{lease.camera}")
        self.workers[lease.camera] = (worker, task)
        self.started[lease.camera] = time.monotonic()
        CAMERAS.set(len(self.workers))
        log.info("%s: took the camera (worker %s)", lease.camera, self.worker_id)

    async def _reap(self, camera: str) -> None:
        worker, task = self.workers.pop(camera)
        CAMERAS.set(len(self.workers))
        if time.monotonic() - self.started.pop(camera, 0.0) > HEALTHY_S:
            self.failures.pop(camera, None)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            # e.g. NATS or the store unreachable for a while: the camera is
            # resumed from its checkpoint after a pause that grows with failures
            failures = self.failures[camera] = self.failures.get(camera, 0) + 1
            pause = min(MAX_COOLDOWN_S, 2.0 ** (failures - 1))
            log.error("%s: worker failed: %r; retrying in %.0f s", camera, error, pause,
                      exc_info=error)
            self.cooldown[camera] = time.monotonic() + pause
        await worker.lease.release()

    async def _drop(self, camera: str) -> None:
        worker, task = self.workers[camera]
        worker.stop()
        with contextlib.suppress(Exception):
            await task
        await self._reap(camera)

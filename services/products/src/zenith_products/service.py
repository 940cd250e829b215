"""The products service: camera workers, the status endpoint, retention."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
from datetime import UTC, datetime

from zenith.bus.client import BusClient
from zenith.bus.jetstream import bucket
from zenith.bus.service import BusService, Call
from zenith.contracts.base import Empty
from zenith.contracts.products import BUCKET, STATUS, CameraProducts
from zenith.ids import validate_camera_id
from zenith.runner import ServiceContext
from zenith.storage.factory import open_blobs, open_metadata
from zenith_products.deletion import serve_deletion
from zenith_products.lease import read
from zenith_products.listing import serve_listing
from zenith_products.meteor_sizes import MeteorSizes
from zenith_products.publisher import Publisher
from zenith_products.retention import Retention
from zenith_products.settings import ProductsSettings
from zenith_products.sites import Sites
from zenith_products.supervisor import Supervisor
from zenith_products.worker import Env

log = logging.getLogger("zenith.products")


def worker_id(settings: ProductsSettings) -> str:
    if settings.products_worker_id:
        return settings.products_worker_id
    host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:48]  # a KV key token
    return f"{host}-{os.getpid()}"


def _dt(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


async def serve(ctx: ServiceContext[ProductsSettings]) -> None:
    s = ctx.settings
    s.data_dir.mkdir(parents=True, exist_ok=True)
    meta = await open_metadata(s.resolved_metadata_url)
    ctx.stack.push_async_callback(meta.close)
    blobs = open_blobs(s)
    kv = await bucket(ctx.nc, BUCKET)
    publisher = Publisher(meta, ctx.js)
    await publisher.ensure_indexes()
    env = Env(settings=s, js=ctx.js, kv=kv, meta=meta, blobs=blobs, publisher=publisher,
              sites=Sites(ctx.bus, s))
    if s.products_hub_ingest:
        from zenith_products.uploads import start_product_uploads

        uploads = await start_product_uploads(ctx, meta, blobs)

    supervisor = Supervisor(env, worker_id(s))
    await supervisor.start()
    ctx.stack.push_async_callback(supervisor.stop)

    # every replica answers for every camera (the lease record is in KV)
    svc = await BusService.start(ctx.nc, "products", "Keograms, startrails, timelapses",
                                 camera="*")
    position = STATUS.subject.split(".").index("{camera}")

    async def status(call: Call[Empty]) -> CameraProducts:
        camera = validate_camera_id(call.subject.split(".")[position])
        rec, _ = await read(kv, camera)
        owned = rec.owner is not None and rec.expires_at > datetime.now(UTC).timestamp()
        return CameraProducts(
            camera=camera, worker=rec.owner if owned else None,
            lease_expires_at=_dt(rec.expires_at) if owned else None, night=rec.night,
            frames=rec.frames, last_frame_at=_dt(rec.last_at), stream_seq=rec.seq,
            finished=list(rec.finished))

    await svc.serve(STATUS, status)
    if s.products_hub_ingest:
        await uploads.serve(svc)
    await serve_listing(svc, meta)
    await MeteorSizes(meta, blobs).serve(svc)  # uploaded candidates: none on a node
    await serve_deletion(svc, meta, blobs, ctx.bus)
    ctx.stack.push_async_callback(svc.stop)

    if s.products_retention_interval_s > 0:
        task = asyncio.create_task(_retention_loop(s, env, ctx.bus), name="products-retention")

        async def stop_retention() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        ctx.stack.push_async_callback(stop_retention)


async def _retention_loop(s: ProductsSettings, env: Env, bus: BusClient) -> None:
    while True:
        await asyncio.sleep(s.products_retention_interval_s)
        try:
            await Retention(s, env.meta, env.blobs, bus).run()
        except Exception:
            log.exception("retention failed; trying again in %.0f s",
                          s.products_retention_interval_s)

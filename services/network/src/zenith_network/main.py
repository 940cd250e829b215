"""Entry point: ``zenith run network``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from zenith.bus.service import BusService, Call
from zenith.contracts.base import Empty
from zenith.contracts.network import UPLINK_STATUS, UplinkStatus
from zenith.runner import ServiceContext, run
from zenith.storage.factory import open_blobs, open_metadata
from zenith_network.admin_endpoints import (
    AdminEndpoints,
    NetworkConfigStore,
    follow_offline_threshold,
)
from zenith_network.audit import AuditLog
from zenith_network.endpoints import NetworkEndpoints
from zenith_network.highlights import Highlights
from zenith_network.joins import Joins, address_secret
from zenith_network.mail import Mailer
from zenith_network.profiles import Profiles, serve_profiles
from zenith_network.registry import Registry
from zenith_network.settings import NetworkSettings
from zenith_network.status import StatusTracker, open_frames_consumer
from zenith_network.uplink import Uplink
from zenith_network.xp import Experience

log = logging.getLogger("zenith.network")


async def serve(ctx: ServiceContext[NetworkSettings]) -> None:
    settings = ctx.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = await open_metadata(settings.resolved_metadata_url)
    ctx.stack.push_async_callback(store.close)
    registry = Registry(store, settings.network_code_prefix)
    await registry.setup()
    highlights = Highlights(store)
    await highlights.setup()

    svc = await BusService.start(ctx.nc, "network", "Cameras, owners, status and highlights")
    ctx.stack.push_async_callback(svc.stop)
    await NetworkEndpoints(registry, highlights, ctx.js, ctx.bus).serve(svc)
    audit = AuditLog(store)
    await audit.setup()
    joins = Joins(store, registry, ctx.bus, audit, Mailer(settings), settings,
                  address_secret(settings.data_dir))
    await joins.setup()
    experience = Experience(store, registry, highlights, ctx.bus, audit,
                            settings.network_xp_cache_s)
    await experience.setup()
    config = NetworkConfigStore(store)
    await AdminEndpoints(joins, audit, config, experience).serve(svc)
    await serve_profiles(svc, Profiles(store, open_blobs(settings), registry))
    uplink = None
    if settings.network_hub_url:
        uplink = Uplink(settings, ctx.js, open_blobs(settings), ctx.bus)
        await uplink.start(ctx.stack)

    async def uplink_status(call: Call[Empty]) -> UplinkStatus:
        return await uplink.status() if uplink else UplinkStatus(enabled=False)

    await svc.serve(UPLINK_STATUS, uplink_status, camera=settings.camera)

    tracker = StatusTracker(registry, ctx.js, settings.network_offline_after_s,
                            settings.network_status_every_s)
    frames = await open_frames_consumer(ctx.js)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(tracker.follow_frames(frames, stop), name="network-frames"),
             asyncio.create_task(tracker.watch_silence(stop), name="network-silence"),
             asyncio.create_task(follow_offline_threshold(
                 config, tracker, settings.network_offline_after_s,
                 settings.network_status_every_s, stop), name="network-config")]

    async def stop_tasks() -> None:
        stop.set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, Exception):
                await asyncio.wait_for(task, 10)

    ctx.stack.push_async_callback(stop_tasks)
    log.info("network serving")


def main(argv: Sequence[str] | None = None) -> int:
    return run("network", NetworkSettings, serve)

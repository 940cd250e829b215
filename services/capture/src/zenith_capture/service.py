"""Wiring: stores, driver host, loop, bus endpoints and their handlers.

Serves (micro service ``capture``): ``capture.START``, ``STOP``,
``RESTART``, ``STATUS``, ``SNAPSHOT``, ``DARKS_RECORD``, ``DARKS_LIST`` and
``METEORS`` on ``zenith.node.<camera>.capture.*``.
The desired state (running or stopped) lives in the ``zenith-capture`` KV
bucket, so a restarted service resumes what it was told last; on the very
first start ``capture_autostart`` decides.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from zenith.bus.events import try_publish
from zenith.bus.jetstream import bucket
from zenith.bus.service import BusService, Call, Handler
from zenith.contracts import capture
from zenith.contracts.base import Empty
from zenith.runner import ServiceContext
from zenith.storage.factory import open_blobs, open_metadata
from zenith.timefmt import to_iso
from zenith_capture.backends import driver_class
from zenith_capture.backends.base import CameraDriver, DriverContext
from zenith_capture.darks import DarkLibrary
from zenith_capture.darks_endpoints import serve_darks
from zenith_capture.focus import FocusTracker
from zenith_capture.frames_index import FrameIndex, serve_index
from zenith_capture.host import DriverHost
from zenith_capture.ingest import IngestLedger
from zenith_capture.loop import CaptureLoop
from zenith_capture.meteor_store import MeteorSearch, serve_meteors
from zenith_capture.pipeline import FrameProcessor
from zenith_capture.settings import CaptureSettings
from zenith_capture.sim.clock import Clock, SimClock
from zenith_capture.skymetrics import SkyMeter
from zenith_capture.snapshots import Snapshots
from zenith_capture.state import CaptureState, Desired
from zenith_capture.telemetry import REJECTED

log = logging.getLogger("zenith.capture")


@dataclass
class CaptureApp:
    settings: CaptureSettings
    loop: CaptureLoop
    host: DriverHost
    meter: SkyMeter
    clock: Clock
    focus: FocusTracker
    state: CaptureState
    max_payload: int
    darks: DarkLibrary | None = None


def _clock(settings: CaptureSettings, resume: datetime | None) -> Clock:
    if settings.capture_driver != "simulator":
        return Clock()
    if settings.capture_sim_start is None and settings.capture_sim_speed == 1.0:
        return Clock()
    start = resume or settings.capture_sim_start
    if start is None:
        return SimClock(Clock().now(), settings.capture_sim_speed)
    return SimClock(start, settings.capture_sim_speed)


async def start_capture(ctx: ServiceContext[CaptureSettings]) -> CaptureApp:
    """Set the capture service up on ``ctx`` and return its parts (tests use them)."""
    settings = ctx.settings
    camera = settings.camera
    cls = driver_class(settings.capture_driver)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    metadata = await open_metadata(settings.resolved_metadata_url)
    ctx.stack.push_async_callback(metadata.close)
    blobs = open_blobs(settings)
    index = FrameIndex(metadata, blobs, camera)
    await index.setup()
    kv = await bucket(ctx.nc, "zenith-capture")
    state = CaptureState(kv, camera)
    sim_key = to_iso(settings.capture_sim_start) if settings.capture_sim_start else "now"
    resume = await state.sim_time(sim_key) if settings.capture_sim_start else None
    clock = _clock(settings, resume)
    focus = FocusTracker()
    await focus.start(ctx.js, camera)
    ctx.stack.push_async_callback(focus.stop)

    def factory() -> CameraDriver:
        return cls(DriverContext(settings=settings, camera=camera, clock=clock, focus=focus.get))

    async def publish_watchdog(event: capture.Watchdog) -> None:
        await try_publish(ctx.js, capture.WATCHDOG, event, camera=camera)

    host = DriverHost(settings, factory, settings.capture_driver, publish_watchdog)
    ledger: IngestLedger | None = None
    if cls.paced_by_source:
        ledger = IngestLedger(metadata, camera)
        await ledger.setup()
        known_ledger = ledger

        async def on_open(driver: CameraDriver) -> None:
            driver.skip_known(await known_ledger.known())

        host.on_open = on_open
    meter = SkyMeter(settings)
    darks = DarkLibrary(metadata, blobs, camera)
    await darks.setup()
    meteors: MeteorSearch | None = None
    if settings.capture_meteors:
        meteors = MeteorSearch(settings, metadata, blobs, ctx.js)
        await meteors.setup()
    processor = FrameProcessor(settings, settings.capture_driver, meter, index, blobs,
                               ctx.js, darks, meteors)

    async def publish_status(status: capture.Status) -> None:
        await try_publish(ctx.js, capture.STATUS_EVENT, status, camera=camera)

    async def on_frame(taken_at: datetime) -> None:
        if isinstance(clock, SimClock) and settings.capture_sim_start is not None:
            await state.set_sim_time(sim_key, taken_at)

    loop = CaptureLoop(settings, host, processor, state, clock,
                       free_bytes=lambda: blobs.usage()[2], publish_status=publish_status,
                       ledger=ledger, on_frame=on_frame)
    saved = await state.exposure()
    if saved is not None:
        loop.exposure_s, loop.gain = saved
    elif settings.capture_auto_exposure:
        loop.first_guess()
    app = CaptureApp(settings, loop, host, meter, clock, focus, state,
                     max_payload=int(ctx.nc.max_payload or 1024 * 1024), darks=darks)
    svc = await BusService.start(ctx.nc, "capture", "Camera capture loop, exposure, sky metrics",
                                 camera=camera)
    for endpoint, handler in ((capture.START, _start(app)), (capture.STOP, _stop(app)),
                              (capture.RESTART, _restart(app)), (capture.STATUS, _status(app))):
        await svc.serve(endpoint, handler)
    # concurrent: the latest frame is served while a new exposure is in hand
    await svc.serve(capture.SNAPSHOT, _snapshot(app), concurrent=True)
    await serve_index(svc, index, hub=settings.capture_hub_ingest)
    await serve_darks(svc, darks, host, loop, settings, clock)
    await serve_meteors(svc, meteors or MeteorSearch(settings, metadata, blobs))

    async def shutdown() -> None:
        await svc.stop()
        await loop.stop("service stopping")
        await host.close()

    ctx.stack.push_async_callback(shutdown)
    default: Desired = "running" if settings.capture_autostart else "stopped"
    if await state.desired(default) == "running":
        await loop.start()
    else:
        await loop.announce("stopped", "stopped by request")
    for reason in ("corrupt", "truncated", "empty", "duplicate", "wrong_size"):
        REJECTED.labels(reason)  # show the series at 0 from the start
    return app


async def serve(ctx: ServiceContext[CaptureSettings]) -> None:
    if ctx.settings.capture_hub_ingest:
        from zenith_capture.uploads import start_uploads

        await start_uploads(ctx)
        return
    await start_capture(ctx)


# -- handlers ----------------------------------------------------------------
def _start(app: CaptureApp) -> Handler:
    async def handle(call: Call[Empty]) -> capture.Status:
        await app.state.set_desired("running")
        await app.loop.start()
        return app.loop.status()
    return handle


def _stop(app: CaptureApp) -> Handler:
    async def handle(call: Call[Empty]) -> capture.Status:
        await app.state.set_desired("stopped")
        await app.loop.stop("stopped by request")
        await app.host.close()
        return app.loop.status()
    return handle


def _restart(app: CaptureApp) -> Handler:
    async def handle(call: Call[Empty]) -> capture.Status:
        await app.state.set_desired("running")
        await app.loop.stop("restarting")
        await app.host.close()
        app.host.next_open = 0.0
        await app.loop.start()
        return app.loop.status()
    return handle


def _status(app: CaptureApp) -> Handler:
    async def handle(call: Call[Empty]) -> capture.Status:
        return app.loop.status()
    return handle


def _snapshot(app: CaptureApp) -> Handler:
    snapshots = Snapshots(app.settings, app.loop, app.host, app.meter, app.clock,
                          app.focus.get, app.max_payload)

    async def handle(call: Call[capture.Snapshot]) -> capture.SnapshotReply:
        return await snapshots.take(call.body)
    return handle

"""Run one service: settings, logs, metrics, NATS, JetStream, SIGTERM.

A service's entry point is ``main(argv) -> int`` calling :func:`run`::

    def main(argv=None):
        return run("gpio", GpioSettings, serve)

    async def serve(ctx: ServiceContext) -> None:
        svc = await BusService.start(ctx.nc, "gpio", "...", camera=ctx.settings.camera)
        ...
        ctx.stack.push_async_callback(svc.stop)

``serve`` sets things up and returns (what it returns, the running
service's parts, is ``ctx.served`` for tests); :func:`run` then waits for
SIGTERM or
SIGINT, drains the NATS connection (finishing the requests in hand) and
closes the exit stack in reverse order. A signal during start-up (still
waiting for NATS, say) cancels the start-up instead, whose stack is undone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from nats.aio.client import Client
from nats.js import JetStreamContext

from zenith.bus.client import BusClient
from zenith.bus.connect import connect
from zenith.bus.jetstream import ensure_jetstream
from zenith.config import Settings, load_settings, redact_url
from zenith.errors import ConfigError
from zenith.telemetry.logs import setup_logging
from zenith.telemetry.metrics import NATS_CONNECTED, SERVICE_UP, serve_metrics

S = TypeVar("S", bound=Settings)
log = logging.getLogger("zenith.runner")


@dataclass
class ServiceContext(Generic[S]):
    name: str
    settings: S
    nc: Client
    js: JetStreamContext
    bus: BusClient
    stack: contextlib.AsyncExitStack
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    served: Any = None  # what ``serve`` returned: the running service's parts


Serve = Callable[[ServiceContext[S]], Awaitable[object]]


@contextlib.asynccontextmanager
async def service_context(name: str, settings: S, serve: Serve[S],
                          stopping: asyncio.Event | None = None
                          ) -> AsyncIterator[ServiceContext[S]]:
    """Connect, create JetStream objects, run ``serve``; undo it all on exit.

    Used by :func:`run` and by tests that run a real service in-process."""
    async with contextlib.AsyncExitStack() as stack:
        nc = await connect(settings.nats_url, name=f"zenith-{name}",
                           credential=settings.bus_credential())
        NATS_CONNECTED.labels(name).set(1)
        stack.push_async_callback(_drain, nc)
        js = await ensure_jetstream(nc, settings.jetstream_replicas)
        ctx = ServiceContext(name=name, settings=settings, nc=nc, js=js,
                             bus=BusClient(nc, settings.request_timeout), stack=stack,
                             stopping=stopping or asyncio.Event())
        ctx.served = await serve(ctx)
        # Ready only once the server has every subscription: nats-py writes a
        # flush's PING straight to the socket, ahead of SUBs still queued for
        # its writer task; the first round trip lets those go out, the second
        # is answered after the server has read them.
        await nc.flush()
        await nc.flush()
        SERVICE_UP.labels(name).set(1)
        try:
            yield ctx
        finally:
            ctx.stopping.set()
            SERVICE_UP.labels(name).set(0)


async def _main(name: str, settings: S, serve: Serve[S]) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    main = asyncio.current_task()
    ready = False

    def on_signal() -> None:
        stopping.set()
        # Not ready yet: start-up may be waiting for a NATS server that is
        # gone (connect waits for ever) and would never see ``stopping``.
        # Cancel it; the exit stack undoes what was set up so far.
        if not ready and main is not None:
            main.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, on_signal)
    serve_metrics(settings.metrics_port, settings.metrics_host)
    try:
        async with service_context(name, settings, serve, stopping):
            ready = True
            log.info("%s ready (camera %s, nats %s)", name, settings.camera,
                     redact_url(settings.nats_url))
            await stopping.wait()
            log.info("%s stopping", name)
    except asyncio.CancelledError:
        if not stopping.is_set():
            raise
        log.info("%s stopped before it was ready", name)


DRAIN_S = 10.0


async def _drain(nc: Client) -> None:
    """Drain, then close; a stop never waits longer than twice :data:`DRAIN_S`.

    nats-py's drain goes on to flush and close when it is cancelled, so a
    timeout cannot cut it short: past its time it is left to finish alone."""
    task = asyncio.ensure_future(nc.drain())
    done, _ = await asyncio.wait({task}, timeout=DRAIN_S)
    if not done:
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=DRAIN_S)
    if done:
        with contextlib.suppress(BaseException):
            task.result()
    else:
        log.warning("nats connection did not close in %.0f s; leaving it", 2 * DRAIN_S)
    with contextlib.suppress(Exception):
        await nc.close()


def run(name: str, settings_model: type[S], serve: Serve[S]) -> int:
    """Load settings (exit 2 naming a bad setting), then run until SIGTERM."""
    try:
        settings = load_settings(settings_model)
    except ConfigError as exc:
        print(f"zenith {name}: {exc}", file=sys.stderr)
        return 2
    setup_logging(name, settings.log_level, settings.log_format)
    try:
        asyncio.run(_main(name, settings, serve))
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    return 0

"""Entry point: ``zenith run web`` serves HTTP and the ``web`` micro service."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiohttp import web

import zenith
from zenith.bus import BusService, Call
from zenith.contracts.base import Empty
from zenith.contracts.web import WEB_INFO, WebInfo
from zenith.runner import ServiceContext, run
from zenith_web.app import create_app
from zenith_web.protocol import ZenithRunner
from zenith_web.settings import WebSettings

log = logging.getLogger("zenith.web")


def _url(runner: web.AppRunner) -> str:
    host, port = runner.addresses[0][:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}"


async def serve(ctx: ServiceContext[WebSettings]) -> None:
    settings = ctx.settings
    runner = ZenithRunner(create_app(ctx), shutdown_timeout=5.0)
    await runner.setup()
    ctx.stack.push_async_callback(runner.cleanup)
    for host in settings.hosts:
        site = web.TCPSite(runner, host, settings.http_port)
        await site.start()
    url = _url(runner)
    log.info("web listening on %s", ", ".join(
        f"{a[0]}:{a[1]}" for a in runner.addresses))

    async def info(call: Call[Empty]) -> WebInfo:
        return WebInfo(url=url, version=zenith.__version__)

    svc = await BusService.start(ctx.nc, "web", "HTTP API, pages and OpenAPI document",
                                 camera=settings.camera)
    ctx.stack.push_async_callback(svc.stop)
    await svc.serve(WEB_INFO, info)


def main(argv: Sequence[str] | None = None) -> int:
    return run("web", WebSettings, serve)

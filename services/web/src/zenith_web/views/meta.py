"""``GET /api/openapi.json`` and ``GET /metrics``."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from zenith_web import keys


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[keys.OPENAPI])


async def metrics(request: web.Request) -> web.Response:
    content_type, _, params = CONTENT_TYPE_LATEST.partition(";")
    charset = params.partition("charset=")[2].strip() or "utf-8"
    return web.Response(body=generate_latest(REGISTRY), content_type=content_type.strip(),
                        charset=charset)

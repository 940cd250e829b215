"""The app factory: settings, bus, templates, routes, middlewares, lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from zenith.runner import ServiceContext
from zenith.tokens import TokenVerifier
from zenith_web import keys
from zenith_web.i18n import i18n_middleware, setup_i18n
from zenith_web.latestframes import follow_frames
from zenith_web.middlewares import auth_middleware, error_middleware, security_headers
from zenith_web.netconfig import setup_network_config
from zenith_web.openapi import build_openapi
from zenith_web.routes import ROUTES, setup_routes
from zenith_web.sensorcache import follow_readings
from zenith_web.settings import WebSettings
from zenith_web.sitecache import follow_site, setup_site_cache
from zenith_web.templating import make_environment
from zenith_web.views.ingest import setup_ingest
from zenith_web.views.ingest_routes import document_ingest


async def token_verifier(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the verifier follows the auth service's keys and revocations."""
    verifier = TokenVerifier(app[keys.NC], app[keys.BUS])
    await verifier.start()
    app[keys.VERIFIER] = verifier
    try:
        yield
    finally:
        await verifier.stop()


def create_app(ctx: ServiceContext[WebSettings]) -> web.Application:
    settings = ctx.settings
    app = web.Application(
        middlewares=[i18n_middleware, error_middleware, auth_middleware],
        client_max_size=settings.web_max_body,
    )
    app[keys.SETTINGS] = settings
    app[keys.NC] = ctx.nc
    app[keys.BUS] = setup_site_cache(app, ctx.bus)  # a change through it drops the cache
    app[keys.TEMPLATES] = make_environment(app)
    setup_i18n(app, app[keys.TEMPLATES])
    setup_ingest(app, settings.resolved_blob_dir)
    setup_network_config(app)
    app[keys.ROUTE_TABLE] = setup_routes(app, ROUTES)
    app[keys.OPENAPI] = document_ingest(build_openapi(ROUTES, settings.site_name))
    app.cleanup_ctx.append(token_verifier)
    app.cleanup_ctx.append(follow_frames)
    app.cleanup_ctx.append(follow_site)
    app.cleanup_ctx.append(follow_readings)
    app.on_response_prepare.append(security_headers)
    return app

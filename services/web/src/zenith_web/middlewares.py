"""Middlewares: errors as JSON, authentication, security headers, metrics."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_urldispatcher import StaticResource

from zenith.errors import ZenithError
from zenith_web import keys, session
from zenith_web.authn import authenticate
from zenith_web.httperrors import from_http, from_zenith, json_error
from zenith_web.i18n import _
from zenith_web.metrics import AUTH_REFUSED, HTTP_REQUESTS, HTTP_SECONDS
from zenith_web.peer import client_of
from zenith_web.protocol import SERVER
from zenith_web.spec import RouteSpec
from zenith_web.templating import render

log = logging.getLogger("zenith.web")

PAGE_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'")


def route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    if isinstance(resource, StaticResource):
        return "static"
    return resource.canonical


def spec_of(request: web.Request) -> RouteSpec | None:
    resource = request.match_info.route.resource
    if resource is None or isinstance(resource, StaticResource):
        return None
    method = "GET" if request.method == "HEAD" else request.method
    return request.app[keys.ROUTE_TABLE].get((method, resource.canonical))


def _wants_html(request: web.Request) -> bool:
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("Accept", "")


def _html_error(request: web.Request, status: int, title: str, message: str) -> web.Response:
    text = render(request.app, "error.html", request=request, status=status, title=title,
                  message=message)
    return web.Response(text=text, status=status, content_type="text/html")


def _file_exists(response: web.FileResponse) -> bool:
    """FileResponse decides only when sent that its file is missing (an empty 404)."""
    path = getattr(response, "_path", None)
    return path is None or Path(path).is_file()


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as ``{"error": {"code", "message"}}`` (a page for browsers)."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        if isinstance(response, web.FileResponse) and not _file_exists(response):
            raise web.HTTPNotFound()  # a missing static file: the JSON 404, not an empty body
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        if exc.status < 400:
            raise
        if _wants_html(request) and exc.status in (404, 405):
            return _html_error(request, exc.status, _("Not found") if exc.status == 404 else
                               _("Not allowed"), _("Nothing at %(path)s.") % {
                                   "path": request.path})
        return from_http(exc, request.path)
    except ZenithError as exc:
        status = exc.status
        if status in (401, 403):
            AUTH_REFUSED.labels(exc.code).inc()
        return from_zenith(exc)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return json_error(500, "internal", "the server failed to answer this request")
    finally:
        label = route_label(request)
        HTTP_REQUESTS.labels(label, request.method, str(status)).inc()
        HTTP_SECONDS.labels(label).observe(time.perf_counter() - started)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Resolve the client and the caller; refuse what the route's spec does not allow."""
    settings = request.app[keys.SETTINGS]
    request[keys.CLIENT] = client_of(request, settings.proxy_networks)
    spec = spec_of(request)
    if spec is None:  # static files, and the router's own 404/405
        return await handler(request)
    request[keys.SPEC] = spec
    request[keys.CALLER] = await authenticate(request, spec, request[keys.CLIENT])
    response = await handler(request)
    renewed = request.get(keys.RENEWED)
    if renewed is not None:
        secure = session.cookies_secure(request, settings, request[keys.CLIENT].via_proxy)
        session.start_session(response, renewed, settings,
                              csrf=request.cookies.get(session.CSRF_COOKIE), secure=secure)
    return response


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: headers every answer carries (``Server`` names no version)."""
    response.headers["Server"] = SERVER
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.content_type == "text/html":
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("Cache-Control", "no-store")
    elif response.content_type == "application/json":
        response.headers.setdefault("Cache-Control", "no-store")

"""A public page's answer: the template rendered with what every page has
(the request, relative times, the page's name), or the "not found" page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from zenith_web.labels import ago
from zenith_web.templating import render


def html_page(request: web.Request, template: str, name: str, status: int = 200,
              **context: Any) -> web.Response:
    text = render(request.app, template, request=request, ago=ago, now=datetime.now(UTC),
                  page=name, **context)
    return web.Response(text=text, status=status, content_type="text/html")


def not_found(request: web.Request, message: str) -> web.Response:
    return html_page(request, "site/missing.html", "missing", status=404, message=message)

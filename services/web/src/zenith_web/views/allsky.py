"""The Allsky capture routes: ``/allsky/status`` and start, restart, stop."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from zenith.contracts import capture
from zenith.contracts.base import Endpoint
from zenith.contracts.web import AllskyAction, AllskyStatus
from zenith_web.bridge import call, model_response, no_body
from zenith_web.templating import render


def status_html(app: web.Application, status: capture.Status) -> str:
    """The dashboard card for a capture status (every value escaped by the template)."""
    return render(app, "_status_card.html", status=status)


async def status(request: web.Request) -> web.Response:
    reply = await call(request, capture.STATUS)
    body = AllskyStatus(**reply.model_dump(), status_html=status_html(request.app, reply))
    return model_response(body)


def _action(endpoint: Endpoint, said: str) -> Callable[[web.Request],
                                                        Coroutine[Any, Any, web.Response]]:
    async def view(request: web.Request) -> web.Response:
        await call(request, endpoint, await no_body(request))
        return model_response(AllskyAction(status=said))

    view.__name__ = f"allsky_{endpoint.name}"
    return view


start = _action(capture.START, "Allsky started")
restart = _action(capture.RESTART, "Allsky started")
stop = _action(capture.STOP, "Allsky stopped")

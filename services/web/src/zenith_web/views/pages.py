"""Server-rendered pages: dashboard, focuser, login."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from pydantic import ValidationError

from zenith.contracts import capture
from zenith.contracts.base import Empty
from zenith.contracts.common import MAX_PIN
from zenith.errors import ZenithError
from zenith_web import keys, session
from zenith_web.bridge import call
from zenith_web.templating import render
from zenith_web.views.auth import safe_next, see_other


def _page(request: web.Request, template: str, **context: object) -> web.Response:
    caller = request[keys.CALLER]
    text = render(request.app, template, request=request, user=caller.username,
                  via=caller.via, csrf=request.cookies.get(session.CSRF_COOKIE, ""),
                  **context)
    return web.Response(text=text, content_type="text/html")


LATEST_METEORS = 5  # candidates the dashboard lists, newest first


@dataclass
class MeteorSummary:
    """The meteors card: the night of capture's last frame, its candidates."""

    night: str | None
    count: int
    latest: list[capture.MeteorRecord]


async def _meteors(request: web.Request) -> MeteorSummary | None:
    """This night's candidates from capture; None when capture does not answer."""
    try:
        status = await call(request, capture.STATUS, Empty())
        if status.night is None:
            return MeteorSummary(None, 0, [])
        listed = await call(request, capture.METEORS, capture.MeteorNight(night=status.night))
    except ZenithError:
        return None
    records = []
    for doc in listed.candidates:
        try:
            records.append(capture.MeteorRecord.model_validate(doc.candidate))
        except ValidationError:
            continue
    latest = sorted(records, key=lambda r: r.taken_at, reverse=True)[:LATEST_METEORS]
    return MeteorSummary(status.night, len(listed.candidates), latest)


async def dashboard(request: web.Request) -> web.Response:
    pins = [f"D{n}" for n in range(MAX_PIN + 1)]
    return _page(request, "dashboard.html", page="dashboard", pins=pins,
                 meteors=await _meteors(request))


async def focuser_page(request: web.Request) -> web.Response:
    return _page(request, "focuser.html", page="focuser")


async def login_page(request: web.Request) -> web.Response:
    target = safe_next(request.query.get("next"))
    token = request.cookies.get(session.SESSION_COOKIE)
    if token:
        try:
            await request.app[keys.VERIFIER].verify_async(token)
            return see_other(target)
        except ZenithError:
            pass
    text = render(request.app, "login.html", request=request, error="", username="",
                  next=target)
    return web.Response(text=text, content_type="text/html")

"""The public join form: ``GET /join``, ``POST /join``, ``GET /join/received``.

The form needs no login, so its CSRF protection is its own: ``GET /join``
sets the ``zenith_csrf`` cookie (``SameSite=Strict``) when the browser has
none and repeats it in a hidden field; ``POST /join`` as a form must carry
the same value and come from this site's origin. A JSON post (an API
client) needs no token: a browser cannot send ``application/json`` to
another site without asking first.

A hidden ``website`` field is the honeypot: people leave it empty, form
robots fill it in; such a post is answered as if it were received and
stored nowhere. The network service limits submissions per address.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from zenith.contracts import joins
from zenith.errors import BadRequest, Forbidden, TooManyRequests, ZenithError
from zenith_web import keys, session
from zenith_web.bridge import FORM, body_object, model_response
from zenith_web.i18n import N_, _
from zenith_web.views.auth import see_other
from zenith_web.views.sitebus import ask
from zenith_web.views.sitepage import html_page

HONEYPOT = "website"
FIELDS = ("name", "email", "location", "link", "notes")
LABELS = {"name": N_("Name"), "email": N_("Email"), "location": N_("Camera location"),
          "link": N_("Link"), "notes": N_("Notes")}


def _csrf_value(request: web.Request) -> tuple[str, bool]:
    """The CSRF cookie's value, and whether it must be set now."""
    value = request.cookies.get(session.CSRF_COOKIE, "")
    if value:
        return value, False
    return secrets.token_urlsafe(32), True


def _form_page(request: web.Request, values: dict[str, str], errors: dict[str, str],
               message: str = "", status: int = 200) -> web.Response:
    csrf, new = _csrf_value(request)
    response = html_page(request, "site/join.html", "join", status=status, values=values,
                         errors=errors, message=message, csrf=csrf, honeypot=HONEYPOT,
                         limits={"name": 100, "email": 254, "location": 200, "link": 300,
                                 "notes": 2000})
    if new:
        settings = request.app[keys.SETTINGS]
        secure = session.cookies_secure(request, settings, request[keys.CLIENT].via_proxy)
        response.set_cookie(session.CSRF_COOKIE, csrf, max_age=int(settings.web_session_days
                                                                   * 86400),
                            path="/", httponly=False, samesite="Strict", secure=secure)
    return response


async def join_page(request: web.Request) -> web.Response:
    return _form_page(request, {name: "" for name in FIELDS}, {})


async def received_page(request: web.Request) -> web.Response:
    return html_page(request, "site/join_received.html", "join")


def _field_errors(exc: ValidationError) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in exc.errors():
        where = str(error["loc"][0]) if error["loc"] else ""
        label = _(LABELS[where]) if where in LABELS else where
        text = error["msg"].removeprefix("Value error, ")
        if error["type"] == "string_pattern_mismatch":
            text = _("contains characters that are not allowed (< > or control characters)")
        found.setdefault(where, f"{label}: {text}")
    return found


def _check_form_csrf(request: web.Request, sent: str) -> None:
    settings = request.app[keys.SETTINGS]
    session.check_origin(request, settings, request[keys.CLIENT].via_proxy)
    expected = request.cookies.get(session.CSRF_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise Forbidden("the form has expired: reload the page and send it again",
                        code="csrf")


async def submit(request: web.Request) -> web.StreamResponse:
    from_form = request.content_type == FORM
    data: dict[str, Any] = await body_object(request, form=True)
    if from_form:
        _check_form_csrf(request, str(data.pop(session.CSRF_FIELD, "")))
    trap = data.pop(HONEYPOT, "")
    values = {name: str(data.get(name, ""))[:2000] for name in FIELDS}
    if trap:
        if from_form:
            return see_other(str(request.app.router["join-received"].url_for()))
        raise BadRequest("the field 'website' must be empty", code="honeypot")
    try:
        form = joins.JoinForm.model_validate(data)
    except ValidationError as exc:
        if not from_form:
            raise BadRequest("the join request is not valid", code="invalid_request",
                             details=[{"field": str(e["loc"][0]) if e["loc"] else "",
                                       "message": e["msg"]} for e in exc.errors()]) from None
        return _form_page(request, values, _field_errors(exc), status=400)
    body = joins.JoinSubmit(**form.model_dump(), client_ip=request[keys.CLIENT].address[:64])
    try:
        received = await ask(request, joins.JOIN_SUBMIT, body)
    except ZenithError as exc:
        if not from_form:
            raise
        message = (_("You sent several requests in a short time. Please wait an hour and "
                     "try again.") if isinstance(exc, TooManyRequests) else exc.message)
        return _form_page(request, values, {}, message=message, status=exc.status)
    if from_form:
        return see_other(str(request.app.router["join-received"].url_for()))
    return model_response(received)

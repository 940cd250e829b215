"""``POST /login``, ``POST /token/refresh``, ``POST /logout``.

API clients send JSON and get the tokens in the body. The login page posts
a form: it gets the HttpOnly session cookies and a redirect, and the tokens
never reach a script. A JSON login may ask for the cookies with
``"session": true``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from zenith.contracts import auth as contract
from zenith.contracts.web import (
    LoggedOut,
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    SessionReply,
)
from zenith.errors import Unauthorized, Unavailable, ZenithError
from zenith_web import keys, session
from zenith_web.bridge import FORM, body_object, call, model_response, validate
from zenith_web.templating import render


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (open redirect), and nothing
    a browser would strip or a header cannot hold (control characters, spaces)."""
    if not target or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return "/"
    return target


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _login_page(request: web.Request, error: str, username: str, status: int) -> web.Response:
    text = render(request.app, "login.html", request=request, error=error, username=username,
                  next=safe_next(request.query.get("next")))
    return web.Response(text=text, status=status, content_type="text/html")


def _wants_json(request: web.Request) -> bool:
    """Not a browser: a client whose ``Accept`` does not ask for a page gets JSON."""
    return "text/html" not in request.headers.get("Accept", "")


async def login(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.SETTINGS]
    peer = request[keys.CLIENT]
    from_form = request.content_type == FORM
    session.check_origin(request, settings, peer.via_proxy)
    data = await body_object(request, form=True)
    if from_form:
        data = {"username": data.get("username", ""), "password": data.get("password", ""),
                "session": True}
    try:
        form = validate(LoginRequest, data)
        pair = await call(request, contract.LOGIN, contract.Login(
            username=form.username, password=form.password, client_ip=peer.address[:64]))
    except ZenithError as exc:
        if not from_form or _wants_json(request):
            raise
        message = "Wrong username or password." if isinstance(exc, Unauthorized) \
            else exc.message
        return _login_page(request, message, str(data.get("username", ""))[:64], exc.status)
    target = safe_next(request.query.get("next"))
    if pair.user.password_change_required:  # a one-time password: its change comes first
        target = str(request.app.router["owner-password"].url_for())
    elif target == "/" and pair.user.role == "owner":
        target = str(request.app.router["owner-home"].url_for())  # an owner's profile
    response = see_other(target) if from_form else model_response(pair)
    if form.session:
        session.start_session(response, pair, settings,
                              secure=session.cookies_secure(request, settings, peer.via_proxy))
    return response


async def refresh(request: web.Request) -> web.Response:
    settings = request.app[keys.SETTINGS]
    peer = request[keys.CLIENT]
    body = validate(RefreshRequest, await body_object(request))
    token = body.refresh_token
    from_cookie = token is None
    if from_cookie:
        token = request.cookies.get(session.REFRESH_COOKIE)
        if not token:
            raise Unauthorized("no refresh token: send refresh_token or the session cookie",
                               code="no_refresh_token")
        session.check_csrf(request, settings, peer.via_proxy)
    pair = await call(request, contract.REFRESH, contract.Refresh(
        refresh_token=token, client_ip=peer.address[:64]))
    if not from_cookie:
        return model_response(pair)
    response = model_response(SessionReply(expires_in=pair.expires_in, user=pair.user))
    session.start_session(response, pair, settings,
                          csrf=request.cookies.get(session.CSRF_COOKIE),
                          secure=session.cookies_secure(request, settings, peer.via_proxy))
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.SETTINGS]
    from_form = request.content_type == FORM
    data = await body_object(request, form=True)
    form_csrf = data.pop(session.CSRF_FIELD, None) if from_form else None
    body = validate(LogoutRequest, data)
    if body.refresh_token is not None:
        await call(request, contract.LOGOUT, contract.Logout(refresh_token=body.refresh_token))
        return model_response(LoggedOut())
    if not session.has_session(request):
        raise Unauthorized("nothing to log out: send refresh_token or the session cookie",
                           code="no_refresh_token")
    session.check_csrf(request, settings, request[keys.CLIENT].via_proxy, form_csrf)
    token = request.cookies.get(session.REFRESH_COOKIE)
    if token:
        try:
            await call(request, contract.LOGOUT, contract.Logout(refresh_token=token))
        except Unavailable:
            raise
        except ZenithError:  # already expired or revoked: the cookies go all the same
            pass
    response = see_other(str(request.app.router["login"].url_for())) if from_form \
        else model_response(LoggedOut())
    session.end_session(response, settings, secure=session.cookies_secure(
        request, settings, request[keys.CLIENT].via_proxy))
    return response

"""Who may call a route: the rules of the auth middleware, in order.

1. ``PUBLIC`` routes: anyone.
2. A local request (loopback peer, see :mod:`zenith_web.peer`) when
   ``web_local_no_auth`` is on: allowed, with every permission, unless a
   browser sent it for another site or a rebound host name (see
   :mod:`zenith_web.localaccess`); then it needs credentials like any other.
3. ``Authorization: Bearer <token>``: verified by the TokenVerifier.
4. The session cookie: not for ``NO_COOKIE`` routes (state-changing GETs);
   a state-changing method needs the CSRF header and an allowed origin.
   Pages renew an expired access token from the refresh cookie.
5. Nothing: 401 for the API (403 ``cross_site`` for a local request refused in
   step 2), a redirect to ``/login`` for pages.

A caller who must change a one-time password reaches only the
change-password page (and logout): see :mod:`zenith_web.passwordgate`.

Then the route's permission (from the contract endpoint) must be held: 403.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web

from zenith.contracts import auth as auth_contract
from zenith.errors import Forbidden, Unauthorized, ZenithError
from zenith_web import keys, localaccess, passwordgate, session
from zenith_web.caller import Caller, Via
from zenith_web.peer import Client
from zenith_web.spec import Access, RouteSpec

log = logging.getLogger("zenith.web.auth")


def bearer_token(request: web.BaseRequest) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'",
                           code="invalid_authorization")
    return token.strip()


async def verify(request: web.Request, token: str, via: Via, client: Client) -> Caller:
    principal = await request.app[keys.VERIFIER].verify_async(token)
    return Caller(via=via, address=client.address, principal=principal, local=client.local)


def login_redirect(request: web.Request) -> web.HTTPFound:
    target = request.rel_url.path_qs
    login = request.app.router["login"].url_for()
    return web.HTTPFound(f"{login}?next={quote(target, safe='/')}")


async def _renew_page_session(request: web.Request, client: Client) -> Caller | None:
    """A page with an expired access cookie: rotate the refresh cookie, server side."""
    refresh = request.cookies.get(session.REFRESH_COOKIE)
    if not refresh:
        return None
    try:
        pair = await request.app[keys.BUS].request(
            auth_contract.REFRESH, {"refresh_token": refresh, "client_ip": client.address[:64]})
        found = await verify(request, pair.access_token, "cookie", client)
    except ZenithError as exc:
        log.info("session renewal refused for %s: %s", client.address, exc.message)
        return None
    request[keys.RENEWED] = pair
    return found


async def _cookie_caller(request: web.Request, spec: RouteSpec, client: Client) -> Caller:
    settings = request.app[keys.SETTINGS]
    if spec.access is Access.NO_COOKIE:
        raise Unauthorized(
            f"{request.method} {spec.path} changes state: it accepts a bearer token or a "
            "local request, never a session cookie (use POST from the page)",
            code="bearer_required")
    if request.method not in session.SAFE_METHODS:
        form_token = None
        if spec.form and request.content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            value = form.get(session.CSRF_FIELD)
            form_token = value if isinstance(value, str) else None
        elif spec.form and request.content_type == "multipart/form-data":
            request[keys.MULTIPART], form_token = await session.multipart_csrf(request)
        session.check_csrf(request, settings, client.via_proxy, form_token)
    token = request.cookies.get(session.SESSION_COOKIE)
    if token:
        try:
            return await verify(request, token, "cookie", client)
        except Unauthorized:
            if spec.access is not Access.PAGE:
                raise
    if spec.access is Access.PAGE:
        renewed = await _renew_page_session(request, client)
        if renewed is not None:
            return renewed
        raise login_redirect(request)
    raise Unauthorized("the session has expired; renew it with POST /token/refresh",
                       code="session_expired")


async def authenticate(request: web.Request, spec: RouteSpec, client: Client) -> Caller:
    """The caller of ``request`` on ``spec``, or raise 401/403 (or redirect a page)."""
    settings = request.app[keys.SETTINGS]
    anonymous = Caller(via="anonymous", address=client.address, local=client.local)
    if spec.access is Access.PUBLIC:
        return anonymous
    local_refused = None
    if settings.web_local_no_auth and client.local:
        local_refused = localaccess.refusal(request, spec, client, settings)
    if settings.web_local_no_auth and client.local and local_refused is None:
        caller = Caller(via="local", address=client.address, local=True)
        if spec.access is Access.PAGE and session.has_session(request):
            # someone signed in on this machine: show who, and offer to log out
            try:
                caller = await _cookie_caller(request, spec, client)
            except (ZenithError, web.HTTPException):
                pass  # an expired or bad session: the page is local still
    elif (token := bearer_token(request)) is not None:
        caller = await verify(request, token, "bearer", client)
    elif session.has_session(request):
        caller = await _cookie_caller(request, spec, client)
    elif spec.access is Access.PAGE:
        raise login_redirect(request)
    elif local_refused is not None:
        raise Forbidden(local_refused, code="cross_site")
    else:
        raise Unauthorized("authentication required: send 'Authorization: Bearer <token>'",
                           code="unauthorized")
    if passwordgate.change_required(caller):
        if passwordgate.is_open(spec):
            return caller  # changing one's own password needs no other permission
        raise passwordgate.refuse(request, spec, caller)
    permission = spec.required_permission
    if not caller.may(permission):
        module, action = permission or ("", "")
        raise Forbidden(f"{caller.username} may not {action} {module}",
                        code="forbidden", details={"permission": f"{module}:{action}"})
    return caller

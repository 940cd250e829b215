"""A user with a one-time password changes it before anything else.

Auth marks a password that someone else issued (a join approval, an
administrator's reset, a generated one) and its access tokens carry the
``pwc`` claim until the user's own change. For such a caller every route
that needs a login answers with the change-password page instead: a page
or a form of a browser session with a redirect to it, the JSON API (and any
route called with a bearer token) with 403 ``password_change_required``.
The page itself, and logging out, stay open.
"""

from __future__ import annotations

from aiohttp import web

from zenith.errors import Forbidden
from zenith_web.caller import Caller
from zenith_web.spec import Access, RouteSpec

PASSWORD_PAGE = "owner-password"
OPEN_ROUTES = frozenset({PASSWORD_PAGE, "logout", "login", "token-refresh"})


def change_required(caller: Caller) -> bool:
    return caller.principal is not None and caller.principal.password_change_required


def is_open(spec: RouteSpec) -> bool:
    """Routes a caller who must change the password may still use."""
    return spec.name in OPEN_ROUTES


def refuse(request: web.Request, spec: RouteSpec, caller: Caller) -> web.HTTPException | Forbidden:
    """What a route other than the open ones answers such a caller."""
    if spec.access is Access.PAGE and caller.via == "cookie":
        target = str(request.app.router[PASSWORD_PAGE].url_for())
        if request.method in ("GET", "HEAD"):
            return web.HTTPFound(target)
        return web.HTTPSeeOther(target)
    return Forbidden(
        "change the one-time password first (the change-password page, /owner/password)",
        code="password_change_required",
    )
